#!/usr/bin/env bash
# A site CA and the broker's TLS certificate, for deploy/mosquitto/mosquitto.conf.
#
#   deploy/mosquitto/make-certs.sh OUT_DIR BROKER_HOST_NAME [MORE_NAMES_OR_IPS...]
#
# writes OUT_DIR/ca.crt, ca.key (keep it offline), server.crt, server.key. Copy ca.crt to every
# bedside and central station (VITALS_MQTT_CA=/path/to/ca.crt); server.* to
# /etc/mosquitto/vitals/certs/ (owned by the mosquitto user, key mode 600). The broker's name as
# the clients write it in mqtts://NAME:8883/... must be among the names given here.
set -euo pipefail
out="${1:?usage: make-certs.sh OUT_DIR BROKER_HOST_NAME [MORE_NAMES_OR_IPS...]}"
shift
[ "$#" -ge 1 ] || { echo "make-certs.sh: give the broker's host name (as clients write it)" >&2; exit 2; }
days="${CERT_DAYS:-825}"
mkdir -p "$out"
umask 077

san=""
for name in "$@"; do
  if [[ "$name" =~ ^[0-9.]+$ || "$name" == *:* ]]; then san+="IP:$name,"; else san+="DNS:$name,"; fi
done
san="${san%,}"

# The CA (EC P-256: small and quick; every current TLS stack takes it).
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$out/ca.key" -out "$out/ca.crt" -days "$days" -subj "/CN=vitals-monitor site CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

# The broker's key and certificate, signed by the CA, valid for the names given.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$out/server.key" -out "$out/server.csr" -subj "/CN=$1" 2>/dev/null
openssl x509 -req -in "$out/server.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
  -out "$out/server.crt" -days "$days" \
  -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$san") 2>/dev/null
rm -f "$out/server.csr" "$out/ca.srl"
chmod 644 "$out/ca.crt" "$out/server.crt"
echo "made $out/ca.crt and $out/server.crt for: $*"
