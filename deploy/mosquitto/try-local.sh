#!/usr/bin/env bash
# A broker to try the central station on one machine: deploy/mosquitto/mosquitto.conf as it is,
# its files in DIR, listening on 127.0.0.1 only (TLS on PORT, default 8883), with the users
# central, bed1 and bed2 and a random password each in DIR/USER.pass (mode 600).
#
#   deploy/mosquitto/try-local.sh DIR [PORT]      then: mosquitto -c DIR/mosquitto.conf
#
# Not for a ward: there, follow docs/central.md ("Deploying the broker").
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:?usage: try-local.sh DIR [PORT]}"
port="${2:-8883}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
umask 077
"$here/make-certs.sh" "$dir/certs" localhost 127.0.0.1 >/dev/null
: > "$dir/passwd"
for user in central bed1 bed2; do
  pw="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s\n' "$pw" > "$dir/$user.pass"
  printf '%s:%s\n' "$user" "$pw" >> "$dir/passwd"
done
mosquitto_passwd -U "$dir/passwd"
cp "$here/acl" "$dir/acl"
sed -e "s#/etc/mosquitto/vitals#$dir#g" -e "s#^listener 8883\$#listener $port 127.0.0.1#" \
  "$here/mosquitto.conf" > "$dir/mosquitto.conf"
if [ "$(id -u)" = 0 ]; then
  echo "user root" >> "$dir/mosquitto.conf"  # (as root, mosquitto would drop to a user who cannot read DIR)
fi
cat <<EOT
broker files in $dir; start it with:
  mosquitto -c $dir/mosquitto.conf
then, for a bedside (bed1; bed2 alike) and the central station:
  VITALS_MQTT_USER=bed1 VITALS_MQTT_PASSWORD_FILE=$dir/bed1.pass VITALS_MQTT_CA=$dir/certs/ca.crt \\
    vitals-monitor live --simulate hypertensive --speed 60 --no-record --publish mqtts://localhost:$port/ward/bed1
  VITALS_MQTT_USER=central VITALS_MQTT_PASSWORD_FILE=$dir/central.pass VITALS_MQTT_CA=$dir/certs/ca.crt \\
    vitals-monitor central mqtts://localhost:$port/ward
EOT
