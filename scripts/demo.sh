#!/usr/bin/env bash
# `make demo`: wxauthd + the WeChat emulator + the sample business app (examples/sample-app), on
# SQLite, in the foreground until Ctrl-C. Ports: WXAUTH_PORT (8080), WXADMIN_PORT (8081, the
# admin API and the console), WXEMU_PORT (8090), WXDEMO_PORT (8000, the sample app), and two more
# copies of the sample app for the other desktop login methods: WXDEMO_SCAN_PORT (8001, pool
# demo-scan: the service account's scan-and-confirm ticket) and WXDEMO_FOLLOW_PORT (8002, pool
# demo-follow: follow the account to log in). docs/desktop-login.md, "Trying it with make demo".
# WXEMU_LATENCY_MS=N gives every emulated WeChat API call N ms of latency.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
AUTH_PORT=${WXAUTH_PORT:-8080}
ADMIN_PORT=${WXADMIN_PORT:-8081}
EMU_PORT=${WXEMU_PORT:-8090}
DEMO_PORT=${WXDEMO_PORT:-8000}
SCAN_PORT=${WXDEMO_SCAN_PORT:-8001}
FOLLOW_PORT=${WXDEMO_FOLLOW_PORT:-8002}
DIR=${WXDEMO_DIR:-.demo}
case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac
APPID=wx5d1e4a0b9c3f7e21
APPID2=wx8a9b0c1d2e3f4a5b
WEBAPPID=wxa1b2c3d4e5f60718 # the Open Platform website app: QR-code login on computers
# One service account per desktop-login pool: an account's openids belong to one pool.
SCANAPPID=wx3c5e7a9b1d2f4c6e   # pool demo-scan: scan the ticket's code, confirm on the phone
FOLLOWAPPID=wx6f1e2d3c4b5a6978 # pool demo-follow: its message server is wxauthd (follow to log in)
AUTH="http://127.0.0.1:$AUTH_PORT"
ADMINURL="http://127.0.0.1:$ADMIN_PORT"
EMU="http://127.0.0.1:$EMU_PORT"
CALLBACK="http://127.0.0.1:$DEMO_PORT/callback"
SCAN_CALLBACK="http://127.0.0.1:$SCAN_PORT/callback"
FOLLOW_CALLBACK="http://127.0.0.1:$FOLLOW_PORT/callback"
# The service account's message server for follow-to-login: pool demo-follow's connection.
FOLLOW_IDENT=wechat:webpage-authorization
PUSH_URL="$AUTH/wechat/push/demo-follow/$FOLLOW_IDENT"

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
# The message server's Token (32 letters and digits) and EncodingAESKey (43), as the MP admin's
# 服务器配置 would hold them: the emulator signs and encrypts its pushes with them.
if [ ! -s "$DIR/push_token" ]; then
  (umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$DIR/push_token")
fi
if [ ! -s "$DIR/push_aes_key" ]; then
  (umask 077; od -An -N22 -tx1 /dev/urandom | tr -d ' \n' | cut -c1-43 > "$DIR/push_aes_key")
fi
PUSH_TOKEN=$(cat "$DIR/push_token")
PUSH_AES_KEY=$(cat "$DIR/push_aes_key")

cat > "$DIR/emulator.ini" <<INI
# The WeChat emulator of the demo (see src/emu/README.md for every key).
[emulator]
listen = 127.0.0.1:$EMU_PORT
id_seed = $EMU_ID_SEED
# Demo mode: desktop browsers are let in (real WeChat only opens inside its app), so a desktop
# browser's second tab can play the phone (with wxauthd's [desktop] scan_outside_wechat).
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

# An Open Platform website app of the same Open Platform account (docs/desktop-login.md):
# computers log in on its QR-code page, and a person is the same user as on the phone.
[account $WEBAPPID]
type = website
name = wxauth Demo 网站应用
secret = $SECRET
domain = 127.0.0.1:$AUTH_PORT
open_platform = demo-open-platform

# The service accounts of the pools demo-scan and demo-follow (docs/desktop-login.md).
[account $SCANAPPID]
name = wxauth Demo 服务号（扫码登录）
secret = $SECRET
domain = 127.0.0.1:$AUTH_PORT
scopes = snsapi_base,snsapi_userinfo

[account $FOLLOWAPPID]
name = wxauth Demo 服务号（关注登录）
secret = $SECRET
domain = 127.0.0.1:$AUTH_PORT
scopes = snsapi_base,snsapi_userinfo
# Its message server (服务器配置, safe mode): scanning a follow-to-login QR code (the emulator's
# /q/CODE page) pushes the subscribe/SCAN event to wxauthd's pool demo-follow.
push_url = $PUSH_URL
push_token = $PUSH_TOKEN
push_aes_key = $PUSH_AES_KEY
push_mode = safe

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
# Desktop browsers get a QR code (docs/desktop-login.md): pool demo the website app's, pool
# demo-scan the scan-and-confirm ticket's, pool demo-follow the account's follow code.
login = on
# DEMO ONLY: the QR page shows its code's link, and the ticket's link (/desktop/scan) opens in
# any browser, so a second tab of the same desktop browser plays the phone. wxauthd refuses
# this setting when [wechat] points at WeChat itself.
scan_outside_wechat = on
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
"$BUILD/wxsample" --listen "127.0.0.1:$DEMO_PORT" --wxauth "$AUTH" --app demo-app \
  2>>"$DIR/demo-app.log" & pids+=($!)
"$BUILD/wxsample" --listen "127.0.0.1:$SCAN_PORT" --wxauth "$AUTH" --app demo-scan-app \
  2>>"$DIR/demo-app.log" & pids+=($!)
"$BUILD/wxsample" --listen "127.0.0.1:$FOLLOW_PORT" --wxauth "$AUTH" --app demo-follow-app \
  2>>"$DIR/demo-app.log" & pids+=($!)

for url in "$AUTH/healthz" "$ADMINURL/healthz" "$EMU/healthz" "http://127.0.0.1:$DEMO_PORT/" \
  "http://127.0.0.1:$SCAN_PORT/" "http://127.0.0.1:$FOLLOW_PORT/"; do
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
WXDEMO_SECRET=$SECRET "${ADMIN[@]}" connection set --pool demo --identifier wechat:qrconnect \
  --type wechat_open --name "WeChat website app (demo)" --appid "$WEBAPPID" \
  --secret-env WXDEMO_SECRET --callback "$CALLBACK" >/dev/null
# Pool demo-scan: the service account only, so a computer gets the scan-and-confirm ticket.
"${ADMIN[@]}" pool get demo-scan >/dev/null 2>&1 ||
  "${ADMIN[@]}" pool create demo-scan --name "Demo pool (scan)" >/dev/null
"${ADMIN[@]}" app get demo-scan-app >/dev/null 2>&1 ||
  "${ADMIN[@]}" app create demo-scan-app --pool demo-scan --name "Demo app (scan)" \
    --redirect "$SCAN_CALLBACK" >/dev/null
WXDEMO_SECRET=$SECRET "${ADMIN[@]}" connection set --pool demo-scan \
  --identifier wechat:webpage-authorization --name "WeChat (demo, scan)" --appid "$SCANAPPID" \
  --secret-env WXDEMO_SECRET --callback "$SCAN_CALLBACK" --scope snsapi_userinfo >/dev/null
# Pool demo-follow: the service account with its message server Token and EncodingAESKey set,
# so a computer gets the account's follow code.
"${ADMIN[@]}" pool get demo-follow >/dev/null 2>&1 ||
  "${ADMIN[@]}" pool create demo-follow --name "Demo pool (follow)" >/dev/null
"${ADMIN[@]}" app get demo-follow-app >/dev/null 2>&1 ||
  "${ADMIN[@]}" app create demo-follow-app --pool demo-follow --name "Demo app (follow)" \
    --redirect "$FOLLOW_CALLBACK" >/dev/null
WXDEMO_SECRET=$SECRET WXDEMO_PUSH_TOKEN=$PUSH_TOKEN WXDEMO_AES_KEY=$PUSH_AES_KEY \
  "${ADMIN[@]}" connection set --pool demo-follow --identifier "$FOLLOW_IDENT" \
  --name "WeChat (demo, follow)" --appid "$FOLLOWAPPID" --secret-env WXDEMO_SECRET \
  --callback "$FOLLOW_CALLBACK" --scope snsapi_userinfo \
  --push-token-env WXDEMO_PUSH_TOKEN --aes-key-env WXDEMO_AES_KEY >/dev/null

cat <<MSG

  wxauth demo is running (Ctrl-C stops it; logs in $DIR/*.log)

  Open in a browser:        http://127.0.0.1:$DEMO_PORT/   (the sample app: log in with WeChat,
                            pick alice, tap Allow, see the profile and the backend's token check)
  Desktop QR-code login, three ways (docs/desktop-login.md), each from a desktop browser alone:
    website app (qrconnect): http://127.0.0.1:$DEMO_PORT/  → 微信扫码登录: on the emulator's QR
                             page pick alice (the "scan"), then 确认登录
    scan and confirm:        http://127.0.0.1:$SCAN_PORT/  → 微信扫码登录: open the QR page's
                             demo link (演示模式) in a new tab: pick alice, 允许, then 确认登录
    follow the account:      http://127.0.0.1:$FOLLOW_PORT/  → 微信扫码登录: open the QR page's
                             demo link in a new tab: pick a person, then 关注 (bob already
                             follows: scanning is enough); tap 确认登录 in the account's
                             reply, then 确认登录 on the confirmation page
  The first tab then ends on the sample app's profile. (Demo mode: the emulator's UA check is
  off and [desktop] scan_outside_wechat = on, so the phone's pages open in any browser; real
  WeChat opens them only inside WeChat.)
  wxauthd:                  $AUTH        (start: $AUTH//oauth/wechatmp/url/demo)
  WeChat emulator:          $EMU        (UA check off: desktop browsers allowed)
  Emulated WeChat users:    alice, bob (follower), snapshot (snapshot-page user)
  Verification file:        $AUTH/MP_verify_wxauthDemo2026.txt
  Web console:              $ADMINURL/console/   (sign in with the admin token below; the
                            admin API and the console listen on loopback only: [admin] listen)
  Admin API token:          $DIR/admin_token   (Authorization: Bearer \$(cat $DIR/admin_token))

  From a shell (README "Quick start" explains each step):
    UA='Mozilla/5.0 (iPhone) MicroMessenger/8.0.40'
    U=\$(curl -s -c jar -A "\$UA" -o /dev/null -w '%{redirect_url}' $AUTH//oauth/wechatmp/url/demo)
    CB=\$(curl -s -A "\$UA" -o /dev/null -w '%{redirect_url}' "\${U%%#*}&emu_person=alice&emu_action=allow")
    curl -s -b jar -A "\$UA" -o /dev/null -w '%{redirect_url}\\n' "\$CB"

MSG
wait -n "${pids[@]}" || true
echo "demo: a process exited; see $DIR/*.log" >&2
