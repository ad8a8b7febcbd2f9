#!/usr/bin/env bash
# How fast is the nginx gate? With wrk on loopback, in one run and with the same load:
#   (a) wxauthd's GET /auth/check with a valid Bearer token, directly;
#   (b) the reference: nginx answering "return 204" on the same machine;
#   (c) the gate of examples/nginx/wxauth-gate.conf: nginx auth_request through wxauthd to an
#       app (an nginx server block answering 204).
# The three run one after the other, in rounds (a shared machine's load changes from minute to
# minute); each round prints requests/s and latency p50/p99 of each and the ratios (a)/(b) and
# (c)/(b); the last lines are the medians over the rounds. Every response must be a 204
# (bench/expect_204.lua counts the others): a run with any other status fails. Both servers log
# every request (wxauthd its JSON access line, nginx its access_log).
#   bench/auth_check.sh
# Env: BUILD (build), BENCH_THREADS (2), BENCH_CONNS (64), BENCH_DURATION (10s), BENCH_ROUNDS (3),
#      BENCH_WARMUP (3s), WXAUTH_WORKERS (one per core), NGINX (/usr/sbin/nginx).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
T=${BENCH_THREADS:-2}
C=${BENCH_CONNS:-64}
D=${BENCH_DURATION:-10s}
W=${BENCH_WARMUP:-3s}
R=${BENCH_ROUNDS:-3}
NGINX=${NGINX:-/usr/sbin/nginx}
for tool in wrk curl python3 "$NGINX"; do
  command -v "$tool" >/dev/null || { echo "auth_check: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done

# Only the servers are needed, not the tests.
[ -f "$BUILD/CMakeCache.txt" ] || cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target wxauthd wxauth wxsample >/dev/null

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
DIR=$(mktemp -d /tmp/wxauth-bench-check.XXXXXX)
AUTH_PORT=$(free_port) EMU_PORT=$(free_port) DEMO_PORT=$(free_port)
REF_PORT=$(free_port) GATE_PORT=$(free_port) APP_PORT=$(free_port)
AUTH="http://127.0.0.1:$AUTH_PORT"

DEMO= NGX=
cleanup() {
  [ -z "$NGX" ] || { kill -QUIT "$NGX" 2>/dev/null; wait "$NGX" 2>/dev/null || true; }
  [ -z "$DEMO" ] || { kill -TERM "$DEMO" 2>/dev/null; wait "$DEMO" 2>/dev/null || true; }
  rm -rf "$DIR"
}
trap cleanup EXIT

# wxauthd + emulator, set up as `make demo` does.
WXAUTH_PORT=$AUTH_PORT WXEMU_PORT=$EMU_PORT WXDEMO_PORT=$DEMO_PORT WXDEMO_DIR="$DIR/demo" \
  BUILD="$BUILD" scripts/demo.sh >"$DIR/demo.out" 2>&1 &
DEMO=$!
for _ in $(seq 1 200); do
  grep -q "demo is running" "$DIR/demo.out" 2>/dev/null && break
  kill -0 "$DEMO" 2>/dev/null || break
  sleep 0.1
done
grep -q "demo is running" "$DIR/demo.out" || { cat "$DIR/demo.out"; exit 1; }

# A real token: alice logs in through the emulator, as a browser would.
UA='Mozilla/5.0 (iPhone) MicroMessenger/8.0.40'
U=$(curl -sS -c "$DIR/jar" -o /dev/null -w '%{redirect_url}' "$AUTH/oauth/wechatmp/url/demo")
CB=$(curl -sS -A "$UA" -o /dev/null -w '%{redirect_url}' "${U%%#*}&emu_person=alice&emu_action=allow")
FIN=$(curl -sS -b "$DIR/jar" -A "$UA" -o /dev/null -w '%{redirect_url}' "$CB")
TOKEN=$(python3 -c 'import sys, json, urllib.parse as u
q = u.parse_qs(u.urlparse(sys.argv[1]).query)
print(json.loads(q["data"][0])["token"] if q.get("code") == ["200"] else "")' "$FIN")
[ -n "$TOKEN" ] || { echo "auth_check: the login gave no token: $FIN" >&2; exit 1; }

# One nginx: the reference, the gate (the example file, placeholders filled) and its app.
mkdir -p "$DIR/nginx/tmp"
sed -e "s/@LISTEN@/127.0.0.1:$GATE_PORT/g" -e "s/@WXAUTH@/127.0.0.1:$AUTH_PORT/g" \
  -e "s/@UPSTREAM@/127.0.0.1:$APP_PORT/g" examples/nginx/wxauth-gate.conf >"$DIR/nginx/gate.conf"
{
  [ "$(id -u)" != 0 ] || echo "user root;"
  cat <<CONF
worker_processes auto;
events { worker_connections 4096; }
http {
    access_log $DIR/nginx/access.log;
    client_body_temp_path $DIR/nginx/tmp/body;
    proxy_temp_path $DIR/nginx/tmp/proxy;
    fastcgi_temp_path $DIR/nginx/tmp/fastcgi;
    uwsgi_temp_path $DIR/nginx/tmp/uwsgi;
    scgi_temp_path $DIR/nginx/tmp/scgi;
    server { listen 127.0.0.1:$REF_PORT; location / { return 204; } }
    server { listen 127.0.0.1:$APP_PORT; location / { return 204; } }
    include $DIR/nginx/gate.conf;
}
CONF
} >"$DIR/nginx/nginx.conf"
"$NGINX" -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -e "$DIR/nginx/error.log" \
  -g "daemon off; pid $DIR/nginx/nginx.pid; error_log $DIR/nginx/error.log;" &
NGX=$!

REF="http://127.0.0.1:$REF_PORT/"
DIRECT="$AUTH/auth/check"
GATE="http://127.0.0.1:$GATE_PORT/app"
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$REF" 2>/dev/null && break
  sleep 0.1
done
# Each target answers 204 before it is measured (the Lua script then checks every response).
for url in "$REF" "$DIRECT" "$GATE"; do
  st=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$url" || true)
  [ "$st" = 204 ] || { echo "auth_check: $url answered $st, want 204" >&2; cat "$DIR/nginx/error.log" >&2; exit 1; }
done

# run NAME URL DURATION: one wrk run; prints its RESULT line, fails on any non-204.
run() {
  local out
  out=$(wrk -t"$T" -c"$C" -d"$3" -s bench/expect_204.lua -H "Authorization: Bearer $TOKEN" "$2")
  local res
  res=$(grep '^RESULT' <<<"$out") || { echo "$out" >&2; exit 1; }
  if ! grep -q ' non204=0 ' <<<"$res" || grep -q ' requests=0 ' <<<"$res"; then
    echo "auth_check: $1: responses other than 204 — this run measures nothing:" >&2
    echo "$out" >&2
    exit 1
  fi
  echo "$res"
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

echo "== /auth/check vs nginx return 204 (wrk -t$T -c$C -d$D each, $R rounds of (b) (a) (c), loopback, $(nproc) cores)"
for url in "$REF" "$DIRECT" "$GATE"; do run warm-up "$url" "$W" >/dev/null; done
row() { # NAME RESULT
  printf '  %-33s %8s req/s   p50 %7s ms   p99 %7s ms   socket errors %s\n' "$1" \
    "$(field "$2" rps)" "$(field "$2" p50_ms)" "$(field "$2" p99_ms)" "$(field "$2" socket_errors)"
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { printf "%s", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
RA= RC= SA= SB= SC=
for i in $(seq 1 "$R"); do
  B=$(run "(b) nginx return 204" "$REF" "$D")
  A=$(run "(a) wxauthd /auth/check" "$DIRECT" "$D")
  G=$(run "(c) nginx auth_request gate" "$GATE" "$D")
  echo "round $i"
  row "(b) nginx return 204" "$B"
  row "(a) wxauthd /auth/check" "$A"
  row "(c) nginx gate -> wxauthd -> app" "$G"
  ra=$(awk -v a="$(field "$A" rps)" -v b="$(field "$B" rps)" 'BEGIN { printf "%.3f", a / b }')
  rc=$(awk -v c="$(field "$G" rps)" -v b="$(field "$B" rps)" 'BEGIN { printf "%.3f", c / b }')
  echo "  ratio (a)/(b): $ra   (c)/(b): $rc"
  RA="$RA $ra" RC="$RC $rc"
  SB="$SB $(field "$B" rps)" SA="$SA $(field "$A" rps)" SC="$SC $(field "$G" rps)"
done
echo "median of $R rounds: (b) $(median <<<"$SB") req/s, (a) $(median <<<"$SA") req/s, (c) $(median <<<"$SC") req/s"
echo "ratio (a)/(b): $(median <<<"$RA")   (medians of the per-round ratios)"
echo "ratio (c)/(b): $(median <<<"$RC")"
