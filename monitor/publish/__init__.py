"""The bedside's session on an MQTT broker (Eclipse Mosquitto), and what the central station
makes of it. No Textual here: a headless bedside publishes, and the central station's screen
(monitor/ui/central_app.py) only draws what `beds.Board` holds.

- `address`: `mqtt://HOST:PORT/SITE[/BED]` parsed and checked; `credentials`: user and password
  from the environment or a file, TLS files; `settings`: the `[publish]` table of a config file;
- `topics`: `vm/SITE/BED/{status,vitals,alarms,trend}`; `payloads`: what each one carries;
- `client`: one paho-mqtt client made the same way for both ends (MQTT v5, TLS, reconnect);
- `publisher`: the bedside's side, told by the session after each poll and of each alarm;
- `watch` and `beds`: the central station's subscription and its model of the beds.
"""
