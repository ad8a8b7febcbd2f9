#!/usr/bin/env bash
# `make demo`: wxauthd + the WeChat emulator + the sample business app (examples/sample-app), on
# SQLite, in the foreground until Ctrl-C. Ports: WXAUTH_PORT (8080), WXADMIN_PORT (8081, the
# admin API and the console), WXEMU_PORT (8090), WXDEMO_PORT (8000, the sample app).
# WXEMU_LATENCY_MS=N gives every emulated WeChat API call N ms of latency.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
AUTH_PORT=${WXAUTH_PORT:-8080}
ADMIN_PORT=${WXADMIN_PORT:-8081}
EMU_PORT=${WXEMU_PORT:-8090}
DEMO_PORT=${WXDEMO_PORT:-8000}
DIR=${WXDEMO_DIR:-.demo}
case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac
APPID=wx5d1e4a0b9c3f7e21
APPID2=wx8a9b0c1d2e3f4a5b
AUTH="http://127.0.0.1:$AUTH_PORT"
ADMINURL="http://127.0.0.1:$ADMIN_PORT"
EMU="http://127.0.0.1:$EMU_PORT"
CALLBACK="http://127.0.0.1:$DEMO_PORT/callback"

for b in wxauthd wxauth wxsample; do
  [ -x "$BUILD/$b" ] || { echo "demo: $BUILD/$b is missing; run 'make demo' (it builds first)" >&2; exit 1; }
done
mkdir -p "$DIR"
chmod 700 "$DIR"

# The App Secret is made once per checkout and kept out of the config files' history.
if [ ! -s "$DIR/app_secret" ]; then
  (umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$DIR/app_secret")
fi
SECRET=$(cat "$DIR/app_secret")
# The emulator's openid key: random, but kept with the demo's store so users stay the same.
if [ ! -s "$DIR/emu_id_seed" ]; then
  (umask 077; od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$DIR/emu_id_seed")
fi
EMU_ID_SEED=$(cat "$DIR/emu_id_seed")
# The admin API / console credential of the demo (wxauthd keeps only its hash in memory).
if [ ! -s "$DIR/admin_token" ]; then
  (umask 077; od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$DIR/admin_token")
fi
ADMIN_TOKEN=$(cat "$DIR/admin_token")

cat > "$DIR/emulator.ini" <<INI
# The WeChat emulator of the demo (see src/emu/README.md for every key).
[emulator]
listen = 127.0.0.1:$EMU_PORT
id_seed = $EMU_ID_SEED
# Demo mode: desktop browsers are let in (real WeChat only opens inside its app), so a new user
# can log in to the sample app from any browser; the sample app runs with --desktop-login to match.
ua_check = off

[account $APPID]
name = wxauth Demo 服务号
secret = $SECRET
domain = 127.0.0.1:$AUTH_PORT
scopes = snsapi_base,snsapi_userinfo
open_platform = demo-open-platform

[account $APPID2]
name = wxauth Demo 订阅号
secret = $SECRET
domain = 127.0.0.1:$AUTH_PORT
scopes = snsapi_base,snsapi_userinfo
open_platform = demo-open-platform

[person alice]
nickname = Alice 爱丽丝

[person bob]
nickname = Bob
follower = yes

[person snapshot]
nickname = 快照用户
snapshot = yes
INI

cat > "$DIR/wxauthd.ini" <<INI
# wxauthd of the demo (docs/configuration.md lists every setting).
[server]
listen = 127.0.0.1:$AUTH_PORT
public_url = $AUTH

[admin]
listen = 127.0.0.1:$ADMIN_PORT

[store]
url = sqlite:$DIR/wxauth.db

[wechat]
# The emulator stands in for open.weixin.qq.com and api.weixin.qq.com.
authorize_url = $EMU/connect/oauth2/authorize
api_base = $EMU

[keys]
# Encrypts the signing keys and secrets in the database; \`wxauth init\` creates it (0600).
master_key_file = master.key

[desktop]
# The demo lets desktop browsers log in straight through the emulator (its UA check is off).
# With login = on they get the desktop QR login page instead (docs/desktop-login.md): a phone
# (here: a WeChat User-Agent) opens the QR code's link, logs in and confirms.
login = off
INI

CLI=("$BUILD/wxauth" --config "$DIR/wxauthd.ini")
# A database from before keys were encrypted (no master key yet) cannot be opened: start afresh.
[ -f "$DIR/master.key" ] || rm -f "$DIR"/wxauth.db "$DIR"/wxauth.db-wal "$DIR"/wxauth.db-shm
"${CLI[@]}" init >/dev/null

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$BUILD/wxauthd" --emulator --config "$DIR/emulator.ini" 2>>"$DIR/emulator.log" & pids+=($!)
WXAUTH_ADMIN_TOKEN=$ADMIN_TOKEN "$BUILD/wxauthd" --config "$DIR/wxauthd.ini" 2>>"$DIR/wxauthd.log" & pids+=($!)
# The sample app: its pages load $AUTH/sdk/wxmp.js and come back to $CALLBACK; its backend
# checks tokens against $AUTH's JWKS (fetched once wxauthd answers).
"$BUILD/wxsample" --listen "127.0.0.1:$DEMO_PORT" --wxauth "$AUTH" --app demo-app --desktop-login \
  2>>"$DIR/demo-app.log" & pids+=($!)

for url in "$AUTH/healthz" "$ADMINURL/healthz" "$EMU/healthz" "http://127.0.0.1:$DEMO_PORT/"; do
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && break
    sleep 0.1
  done
  curl -fsS -o /dev/null "$url" || { echo "demo: $url did not come up; see $DIR/*.log" >&2; exit 1; }
done

# Seed through the admin API with the demo's admin token, as docs/admin.md does it. Pools and
# apps are made once (a second run finds them); `connection set` creates or updates.
ADMIN=("$BUILD/wxauth" --url "$ADMINURL" --token-file "$DIR/admin_token")
"${ADMIN[@]}" pool get demo >/dev/null 2>&1 ||
  "${ADMIN[@]}" pool create demo --name "Demo pool" >/dev/null
"${ADMIN[@]}" app get demo-app >/dev/null 2>&1 ||
  "${ADMIN[@]}" app create demo-app --pool demo --name "Demo app" --redirect "$CALLBACK" >/dev/null
WXDEMO_SECRET=$SECRET "${ADMIN[@]}" connection set --pool demo --identifier wechat:webpage-authorization \
  --name "WeChat (demo)" --appid "$APPID" --secret-env WXDEMO_SECRET --callback "$CALLBACK" \
  --scope snsapi_userinfo --txt-filename MP_verify_wxauthDemo2026.txt --txt-content wxauthDemo2026 >/dev/null

cat <<MSG

  wxauth demo is running (Ctrl-C stops it; logs in $DIR/*.log)

  Open in a browser:        http://127.0.0.1:$DEMO_PORT/   (the sample app: log in with WeChat,
                            pick alice, tap Allow, see the profile and the backend's token check)
  Desktop browsers work because the emulator's UA check is off (real WeChat, and the emulator
  with ua_check = on, only log in inside WeChat: the page then says to open it in WeChat).
  wxauthd:                  $AUTH        (start: $AUTH//oauth/wechatmp/url/demo)
  WeChat emulator:          $EMU        (UA check off: desktop browsers allowed)
  Emulated WeChat users:    alice, bob (follower), snapshot (snapshot-page user)
  Verification file:        $AUTH/MP_verify_wxauthDemo2026.txt
  Web console:              $ADMINURL/console/   (sign in with the admin token below; the
                            admin API and the console listen on loopback only: [admin] listen)
  Admin API token:          $DIR/admin_token   (Authorization: Bearer \$(cat $DIR/admin_token))

  From a shell (README "Quick start" explains each step):
    UA='Mozilla/5.0 (iPhone) MicroMessenger/8.0.40'
    U=\$(curl -s -c jar -o /dev/null -w '%{redirect_url}' $AUTH//oauth/wechatmp/url/demo)
    CB=\$(curl -s -A "\$UA" -o /dev/null -w '%{redirect_url}' "\${U%%#*}&emu_person=alice&emu_action=allow")
    curl -s -b jar -A "\$UA" -o /dev/null -w '%{redirect_url}\\n' "\$CB"

MSG
wait -n "${pids[@]}" || true
echo "demo: a process exited; see $DIR/*.log" >&2
