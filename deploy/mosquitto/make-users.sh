#!/usr/bin/env bash
# The broker's password file: one user per bed, and the central station.
#
#   deploy/mosquitto/make-users.sh PASSWD_FILE central bed1 bed2 ...
#
# asks for each user's password (mosquitto_passwd hashes it; nothing is kept in clear), then the
# bedside of bed3 gets VITALS_MQTT_USER=bed3 and VITALS_MQTT_PASSWORD_FILE=FILE holding its password.
set -euo pipefail
file="${1:?usage: make-users.sh PASSWD_FILE USER...}"
shift
[ "$#" -ge 1 ] || { echo "make-users.sh: name at least one user (central, bed1, ...)" >&2; exit 2; }
umask 077
[ -e "$file" ] || : > "$file"
for user in "$@"; do
  echo "password for $user:"
  mosquitto_passwd "$file" "$user"
done
echo "users in $file: $(cut -d: -f1 "$file" | tr '\n' ' ')"
