#!/usr/bin/env bash
# The deployment examples (examples/deploy/) must be valid configs for the haproxy and nginx of
# Debian 12: each is checked by the program itself, with a throw-away self-signed certificate
# in place of the real one and a private pid/log location.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DIR=$(mktemp -d /tmp/wxauth-deploy-check.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=login.example.com \
  -keyout "$DIR/key.pem" -out "$DIR/crt.pem" 2>/dev/null
cat "$DIR/crt.pem" "$DIR/key.pem" >"$DIR/both.pem"

sed "s|/etc/haproxy/certs/login.example.com.pem|$DIR/both.pem|" "$ROOT/examples/deploy/haproxy.cfg" \
  >"$DIR/haproxy.cfg"
/usr/sbin/haproxy -c -f "$DIR/haproxy.cfg"
echo "haproxy.cfg: ok"

sed -e "s|/etc/nginx/certs/login.example.com.crt|$DIR/crt.pem|" \
    -e "s|/etc/nginx/certs/login.example.com.key|$DIR/key.pem|" \
    "$ROOT/examples/deploy/nginx.conf" >"$DIR/site.conf"
cat >"$DIR/nginx.conf" <<CONF
pid $DIR/nginx.pid;
error_log $DIR/error.log;
events {}
http {
  access_log off;
  client_body_temp_path $DIR/b; proxy_temp_path $DIR/p; fastcgi_temp_path $DIR/f;
  uwsgi_temp_path $DIR/u; scgi_temp_path $DIR/s;
  include $DIR/site.conf;
}
CONF
/usr/sbin/nginx -t -q -e "$DIR/error.log" -c "$DIR/nginx.conf"
echo "nginx.conf: ok"
