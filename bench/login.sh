#!/usr/bin/env bash
# The login benchmark of issue #10: wxauthd against the Node reference (bench/reference/), same
# machine, same emulator, same run, same closed-loop C driver (bench/loadgen.c, wxbench_login).
# Prints one table (scenario, wxauth, reference, ratio, CPU ms and disk KB per login) and saves
# it with the machine's description under bench/results/.
#
#   bench/login.sh            the full run (make bench), a few minutes
#   bench/login.sh --smoke    a few seconds per scenario, tiny loads: checks that the harness
#                             still works (make bench-smoke, part of make check); saves nothing
#   bench/login.sh --serve    sets everything up, prints the start URLs and PIDs, and waits
#                             (for profiling: perf record -g -p PID while wxbench_login runs)
#
# Env: BUILD (build), BENCH_SECONDS (10), BENCH_ROUNDS (3, interleaved; medians reported),
#      WXAUTH_WORKERS (one per core), BENCH_USERS_BIG (100000), BENCH_STORE_OPTS (appended to
#      wxauthd's SQLite URL, e.g. "?synchronous=full"), WX_TEST_STORE_URL (a postgresql:// URL:
#      a third wxauthd runs on it and the table gets PostgreSQL rows; `make bench` and the smoke
#      test start a throw-away server with tests/pg/with-postgres.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
SMOKE=0 SERVE=0
[ "${1:-}" = "--smoke" ] && SMOKE=1
[ "${1:-}" = "--serve" ] && SERVE=1
SECS=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
BIG=${BENCH_USERS_BIG:-100000}
WARM=2
WARM_BIG=5
if [ $SMOKE = 1 ]; then SECS=1; ROUNDS=1; BIG=2000; WARM=0.5; WARM_BIG=0.5; fi

for tool in node curl python3 sqlite3 /usr/sbin/nginx; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (make deps)" >&2; exit 1; }
done
[ -d bench/reference/node_modules/better-sqlite3 ] ||
  { echo "bench: bench/reference has no node_modules (make deps installs them)" >&2; exit 1; }
[ -f "$BUILD/CMakeCache.txt" ] || cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target wxauthd wxauth wxbench_login >/dev/null

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
DIR=$(mktemp -d /var/tmp/wxauth-bench.XXXXXX) # on disk (not tmpfs): disk writes are measured
AUTH_PORT=$(free_port) EMU_PORT=$(free_port) REF_PORT=$(free_port) NGX_PORT=$(free_port)
AUTH1_PORT=$(free_port) # a second wxauthd with one worker, same database
AUTHPG_PORT=$(free_port) # a third on PostgreSQL, when there is one
PG_URL=${WX_TEST_STORE_URL:-}
case $PG_URL in postgresql://*|postgres://*) ;; *) PG_URL= ;; esac
AUTH="http://127.0.0.1:$AUTH_PORT" EMU="http://127.0.0.1:$EMU_PORT" REF="http://127.0.0.1:$REF_PORT"
APPID=wx5d1e4a0b9c3f7e21
APPID_ES=wx8a9b0c1d2e3f4a5b # an (appid, openid) belongs to one pool: the ES256 pool has its own
SECRET=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
CALLBACK="http://127.0.0.1:9/callback" # never visited: the driver stops at its 302
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
wait_up() {
  for _ in $(seq 1 200); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "bench: $1 did not come up; logs:" >&2; tail -n 20 "$DIR"/*.log >&2; exit 1
}

cat >"$DIR/emu.ini" <<INI
[emulator]
listen = 127.0.0.1:$EMU_PORT
crowd = 10000000
max_grants = 10000000
log_level = error
[account $APPID]
name = bench
secret = $SECRET
domain = 127.0.0.1:$AUTH_PORT,127.0.0.1:$REF_PORT,127.0.0.1:$AUTH1_PORT,127.0.0.1:$AUTHPG_PORT
[account $APPID_ES]
name = bench ES256
secret = $SECRET
domain = 127.0.0.1:$AUTH_PORT
INI
cat >"$DIR/wxauthd.ini" <<INI
[server]
listen = 127.0.0.1:$AUTH_PORT
public_url = $AUTH
# every client is loopback: no per-address connection cap
max_connections_per_addr = 100000
[admin]
# the admin API on the public listener, as before [admin] listen: one port per node here
listen = public
[store]
url = sqlite:$DIR/wxauth.db${BENCH_STORE_OPTS:-}
[wechat]
authorize_url = $EMU/connect/oauth2/authorize
api_base = $EMU
[keys]
master_key_file = master.key
# Every client of the bench is 127.0.0.1: no per-address limits (the total cap stays on).
[limits]
start_per_minute = 0
callback_per_minute = 0
pending_per_address = 0
INI
ADMIN_TOKEN=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
(umask 077; echo "$ADMIN_TOKEN" >"$DIR/admin_token")
"$BUILD/wxauth" --config "$DIR/wxauthd.ini" init >/dev/null

"$BUILD/wxauthd" --emulator --config "$DIR/emu.ini" 2>"$DIR/emu.log" & EMU_PID=$!; pids+=($!)
# wxauthd logs a JSON line per request, as in production; the log goes to a file on disk.
# BENCH_WRAP: a command to run wxauthd under (--serve with a profiler: "heaptrack -o FILE").
WXAUTH_ADMIN_TOKEN=$ADMIN_TOKEN ${BENCH_WRAP:-} "$BUILD/wxauthd" --config "$DIR/wxauthd.ini" 2>"$DIR/wxauthd.log" &
AUTH_PID=$!; pids+=($!)
sed -e "0,/^listen = /s|^listen = .*|listen = 127.0.0.1:$AUTH1_PORT|" -e "s|^public_url = .*|public_url = http://127.0.0.1:$AUTH1_PORT|" \
  "$DIR/wxauthd.ini" >"$DIR/wxauthd1.ini"
WXAUTH_WORKERS=1 "$BUILD/wxauthd" --config "$DIR/wxauthd1.ini" 2>"$DIR/wxauthd1.log" &
AUTH1_PID=$!; pids+=($!)
(cd bench/reference && PORT=$REF_PORT DB="$DIR/ref.db" APPID=$APPID SECRET=$SECRET \
  WECHAT_AUTHORIZE="$EMU/connect/oauth2/authorize" WECHAT_API="$EMU" CALLBACK=$CALLBACK \
  PUBLIC=$REF exec node server.mjs) 2>"$DIR/ref.log" & REF_PID=$!; pids+=($!)
wait_up "$EMU/healthz"; wait_up "$AUTH/healthz"; wait_up "$REF/healthz"; wait_up "http://127.0.0.1:$AUTH1_PORT/healthz"
AUTHPG_PID=
if [ -n "$PG_URL" ]; then
  sed -e "0,/^listen = /s|^listen = .*|listen = 127.0.0.1:$AUTHPG_PORT|" -e "s|^public_url = .*|public_url = http://127.0.0.1:$AUTHPG_PORT|" \
    -e "s|^url = .*|url = $PG_URL|" "$DIR/wxauthd.ini" >"$DIR/wxauthd-pg.ini"
  chmod 600 "$DIR/wxauthd-pg.ini" # it holds the database password
  "$BUILD/wxauth" --config "$DIR/wxauthd-pg.ini" init >/dev/null
  WXAUTH_ADMIN_TOKEN=$ADMIN_TOKEN "$BUILD/wxauthd" --config "$DIR/wxauthd-pg.ini" 2>"$DIR/wxauthd-pg.log" &
  AUTHPG_PID=$!; pids+=($!)
  wait_up "http://127.0.0.1:$AUTHPG_PORT/healthz"
fi

ADMIN=("$BUILD/wxauth" --url "$AUTH" --token-file "$DIR/admin_token")
"${ADMIN[@]}" pool create bench --name "Bench pool" >/dev/null
WXB_SECRET=$SECRET "${ADMIN[@]}" connection set --pool bench --identifier wechat:webpage-authorization \
  --name "WeChat" --appid "$APPID" --secret-env WXB_SECRET --callback "$CALLBACK" \
  --scope snsapi_userinfo >/dev/null
# The same login on an ES256 pool: what a login costs besides an RSA signature.
"${ADMIN[@]}" pool create bench-es --name "Bench pool (ES256)" --alg ES256 >/dev/null
WXB_SECRET=$SECRET "${ADMIN[@]}" connection set --pool bench-es --identifier wechat:webpage-authorization \
  --name "WeChat" --appid "$APPID_ES" --secret-env WXB_SECRET --callback "$CALLBACK" \
  --scope snsapi_userinfo >/dev/null

if [ -n "$PG_URL" ]; then
  PGADMIN=("$BUILD/wxauth" --url "http://127.0.0.1:$AUTHPG_PORT" --token-file "$DIR/admin_token")
  "${PGADMIN[@]}" pool create bench --name "Bench pool" >/dev/null
  WXB_SECRET=$SECRET "${PGADMIN[@]}" connection set --pool bench --identifier wechat:webpage-authorization \
    --name "WeChat" --appid "$APPID" --secret-env WXB_SECRET --callback "$CALLBACK" \
    --scope snsapi_userinfo >/dev/null
fi

AUTH_START="$AUTH/oauth/wechatmp/url/bench"
AUTHPG_START="http://127.0.0.1:$AUTHPG_PORT/oauth/wechatmp/url/bench"
AUTH_ES_START="$AUTH/oauth/wechatmp/url/bench-es"
AUTH1_START="http://127.0.0.1:$AUTH1_PORT/oauth/wechatmp/url/bench"
REF_START="$REF/oauth/wechatmp/url/bench"
PERSON_BASE=0 # each run logs in people not seen before in this run's first phase
declare -A R  # R[scenario,side,field] = list of values over rounds
if [ $SERVE = 1 ]; then
  echo "wxauthd: $AUTH_START (pid $AUTH_PID)"
  echo "reference: $REF_START (pid $REF_PID)"
  echo "emulator: $EMU (pid $EMU_PID)"
  echo "load: $BUILD/wxbench_login --start URL --inflight 64 --seconds 10"
  wait -n "${pids[@]}" || true
  exit 0
fi

# run SCENARIO SIDE INFLIGHT USERS [extra driver args]: one measurement, values kept in R.
run() {
  local sc=$1 side=$2 n=$3 users=$4; shift 4
  local url=$AUTH_START pid=$AUTH_PID
  case $side in
    ref) url=$REF_START pid=$REF_PID ;;
    es) url=$AUTH_ES_START ;;
    one) url=$AUTH1_START pid=$AUTH1_PID ;;
    pg) url=$AUTHPG_START pid=$AUTHPG_PID ;;
  esac
  local out
  # A measurement with failed logins is kept (its failures are shown in the table) and makes
  # the run exit non-zero at the end.
  out=$("$BUILD/wxbench_login" --start "$url" --inflight "$n" --seconds "$SECS" --warmup "$WARM" \
    --users "$users" --person "crowd-" --pid "$pid" --pid "$EMU_PID" --max-fail-ratio 0 "$@" \
    2>"$DIR/driver.err") || {
    echo "bench: $sc on $side had failures: $out $(cat "$DIR/driver.err")" >&2; FAILED=1; }
  for kv in $out; do R[$sc,$side,${kv%%=*}]+="${kv#*=} "; done
}
FAILED=0
med() { # median of the values
  tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print 0}'
}
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (a/b) if b else '-')" "$1" "$2"; }
ROWS=()
row() { # row LABEL SCENARIO: wxauth vs reference logins/s with CPU and disk per login
  local sc=$2 a b
  a=$(med "${R[$sc,auth,rate]:-}") b=$(med "${R[$sc,ref,rate]:-}")
  local fa fb
  fa=$(tr ' ' '\n' <<<"${R[$sc,auth,failed]:-}" | awk '{s+=$1} END {print s+0}')
  fb=$(tr ' ' '\n' <<<"${R[$sc,ref,failed]:-}" | awk '{s+=$1} END {print s+0}')
  [ "$fa" = 0 ] || a="$a ($fa failed)"
  [ "$fb" = 0 ] || b="$b ($fb failed)"
  ROWS+=("$(printf '| %s | %s | %s | %s | %s / %s | %s / %s | %s / %s |' "$1" "$a" "$b" "$(ratio "${a%% *}" "${b%% *}")" \
    "$(med "${R[$sc,auth,pid0_cpu_ms]:-}")" "$(med "${R[$sc,ref,pid0_cpu_ms]:-}")" \
    "$(med "${R[$sc,auth,pid0_disk_kb]:-}")" "$(med "${R[$sc,ref,pid0_disk_kb]:-}")" \
    "$(med "${R[$sc,auth,p99_ms]:-}")" "$(med "${R[$sc,ref,p99_ms]:-}")")")
}

# Memory first, on fresh processes: RSS once a few logins have run (lazy set-up done), then
# while HOLD logins wait on a WeChat whose access_token answers in 3 s; per in-flight login =
# the growth / HOLD.
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
if [ $SMOKE = 1 ]; then HOLD=50; else HOLD=2000; fi
for side in auth ref; do run warm $side 4 100 --seconds 1 --warmup 0 >/dev/null; done
IDLE_A=$(rss $AUTH_PID) IDLE_R=$(rss $REF_PID)
curl -fsS -o /dev/null -X POST "$EMU/emu/admin/faults" -d '{"endpoint":"access_token","latency_ms":3000}'
mem_hold() { # mem_hold URL PID: RSS (KB) with HOLD logins waiting on WeChat
  "$BUILD/wxbench_login" --start "$1" --inflight "$HOLD" --seconds 4 --warmup 0 --users 1000 \
    --max-fail-ratio 1 >/dev/null 2>&1 & local d=$!
  sleep 2.5; local v; v=$(rss "$2"); wait $d || true; echo "$v"
}
HELD_A=$(mem_hold "$AUTH_START" $AUTH_PID) HELD_R=$(mem_hold "$REF_START" $REF_PID)
curl -fsS -o /dev/null -X DELETE "$EMU/emu/admin/faults"
per() { python3 -c "import sys; print('%.1f' % ((float(sys.argv[2])-float(sys.argv[1]))/float(sys.argv[3])))" "$1" "$2" "$HOLD"; }
PA=$(per "$IDLE_A" "$HELD_A") PR=$(per "$IDLE_R" "$HELD_R")
MEMROWS=("| RSS idle (MB) | $(python3 -c "print('%.1f' % ($IDLE_A/1024))") | $(python3 -c "print('%.1f' % ($IDLE_R/1024))") | $(ratio "$IDLE_A" "$IDLE_R") | | | |"
  "| RSS per in-flight login (KB, $HOLD waiting on WeChat) | $PA | $PR | $(ratio "$PA" "$PR") | | | |")

if [ $SMOKE = 1 ]; then LEVELS=(1 8); else LEVELS=(1 64 500 2000); fi
echo "bench: logins, ${SECS}s per measurement, $ROUNDS interleaved rounds ($(nproc) cores)" >&2
for r in $(seq 1 "$ROUNDS"); do
  for n in "${LEVELS[@]}"; do
    w=$WARM; [ "$n" -lt 500 ] || w=$WARM_BIG # many in flight: wait for the steady state
    for side in auth ref; do run "c$n" $side "$n" 1000 --warmup "$w"; done
  done
done
for n in "${LEVELS[@]}"; do row "full login, $n in flight" "c$n"; done

# ES256 pool, and wxauthd with one worker, against wxauthd (RS256, all workers) in the same rounds.
N1=${LEVELS[1]}
SIDES=(auth es one)
[ -z "$PG_URL" ] || SIDES+=(pg)
for r in $(seq 1 "$ROUNDS"); do
  for side in "${SIDES[@]}"; do run side$N1 $side "$N1" 1000; done
done
pair() { # pair LABEL SIDE: wxauth's SIDE against wxauth (RS256, every worker)
  local a b
  a=$(med "${R[side$N1,$2,rate]:-}") b=$(med "${R[side$N1,auth,rate]:-}")
  ROWS+=("$(printf '| %s | %s | %s (RS256, %s workers) | %s | %s / %s | %s / %s | %s / %s |' "$1" "$a" "$b" \
    "${WXAUTH_WORKERS:-$(nproc)}" "$(ratio "$a" "$b")" \
    "$(med "${R[side$N1,$2,pid0_cpu_ms]:-}")" "$(med "${R[side$N1,auth,pid0_cpu_ms]:-}")" \
    "$(med "${R[side$N1,$2,pid0_disk_kb]:-}")" "$(med "${R[side$N1,auth,pid0_disk_kb]:-}")" \
    "$(med "${R[side$N1,$2,p99_ms]:-}")" "$(med "${R[side$N1,auth,p99_ms]:-}")")")
}
pair "wxauth, ES256 pool, $N1 in flight" es
pair "wxauth, 1 worker, $N1 in flight" one
# CPU and disk of the PostgreSQL node are wxauthd's only: the database server's own are not
# counted (its cost is in the rate, on the same 2 cores).
[ -z "$PG_URL" ] || pair "wxauth on PostgreSQL (local server, fsync=${WX_PG_FSYNC:-off}), $N1 in flight" pg

# The same with many users in both databases (rows made like real ones, unknown openids).
seed() { # seed DB SQL-TEMPLATE
  sqlite3 "$1" "PRAGMA busy_timeout=10000; $2" >/dev/null
}
NOW=$(date +%s)
seed "$DIR/wxauth.db" "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM n WHERE i < $BIG-1)
  INSERT INTO users (id, pool_id, username, nickname, photo, logins_count, last_login, created_at, updated_at)
  SELECT printf('%024x', 1000000000+i), 'bench', 'seed'||i, 'Seed '||i, 'https://thirdwx.qlogo.cn/mmopen/vi_32/seed'||i||'/132', 1, $NOW, $NOW, $NOW FROM n;
  INSERT INTO identities (user_id, pool_id, provider, appid, openid, raw_profile, created_at, updated_at)
  SELECT id, 'bench', 'wechat:webpage-authorization', '$APPID', 'oSEED'||substr(id,15), '{\"nickname\":\"'||nickname||'\"}', $NOW, $NOW FROM users WHERE username LIKE 'seed%';"
seed "$DIR/ref.db" "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM n WHERE i < $BIG-1)
  INSERT INTO users (id, pool, nickname, photo, logins_count, last_login, created_at, updated_at)
  SELECT printf('%024x', 1000000000+i), 'bench', 'Seed '||i, 'https://thirdwx.qlogo.cn/mmopen/vi_32/seed'||i||'/132', 1, $NOW, $NOW, $NOW FROM n;
  INSERT INTO identities (appid, openid, user_id, raw) SELECT '$APPID', 'oSEED'||substr(id,15), id, '{\"nickname\":\"'||nickname||'\"}' FROM users WHERE nickname LIKE 'Seed %';"
for r in $(seq 1 "$ROUNDS"); do
  for side in auth ref; do run big $side "${LEVELS[1]}" "$BIG"; done
done
row "full login, ${LEVELS[1]} in flight, $BIG users" big

# WeChat at 200 ms per call (access_token and userinfo): many logins wait at once.
curl -fsS -o /dev/null -X POST "$EMU/emu/admin/faults" -d '{"endpoint":"*","latency_ms":200}'
if [ $SMOKE = 1 ]; then SLOW=50; else SLOW=2000; fi
for r in $(seq 1 "$ROUNDS"); do
  for side in auth ref; do run slow $side "$SLOW" 1000 --warmup "$WARM_BIG"; done
done
row "full login, $SLOW in flight, WeChat at 200 ms" slow
curl -fsS -o /dev/null -X DELETE "$EMU/emu/admin/faults"

# The driver's own ceiling: the same three redirects answered by nginx (no work behind them).
mkdir -p "$DIR/ngx"
cat >"$DIR/ngx/nginx.conf" <<CONF
$([ "$(id -u)" != 0 ] || echo "user root;")
worker_processes 1;
pid $DIR/ngx/nginx.pid;
error_log $DIR/ngx/error.log;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $DIR/ngx/b; proxy_temp_path $DIR/ngx/p; fastcgi_temp_path $DIR/ngx/f;
  uwsgi_temp_path $DIR/ngx/u; scgi_temp_path $DIR/ngx/s;
  server {
    listen 127.0.0.1:$NGX_PORT;
    location = /start { add_header Set-Cookie "b=1; Path=/"; return 302 http://127.0.0.1:$NGX_PORT/authorize?state=x#wechat_redirect; }
    location = /authorize { return 302 http://127.0.0.1:$NGX_PORT/callback?code=c&state=x; }
    location = /callback { return 302 http://127.0.0.1:9/callback?code=200&message=ok; }
  }
}
CONF
/usr/sbin/nginx -c "$DIR/ngx/nginx.conf" -g 'daemon off;' 2>"$DIR/ngx.log" & pids+=($!)
wait_up "http://127.0.0.1:$NGX_PORT/callback" 2>/dev/null || true
CEIL=$("$BUILD/wxbench_login" --start "http://127.0.0.1:$NGX_PORT/start" --inflight "${LEVELS[1]}" \
  --seconds "$SECS" --warmup "$WARM" --users 1 | tr ' ' '\n' | awk -F= '$1=="rate" {print $2}')
ROWS+=("| driver ceiling (nginx answering the 3 redirects, ${LEVELS[1]} in flight), logins/s | $CEIL | | | | | |")

# What one signature costs on this machine (OpenSSL's own figure, same library as both servers).
SIGN=$(openssl speed -seconds 1 rsa2048 ecdsap256 2>/dev/null | awk '/^rsa 2048/ {rsa=$6} /256 bits ecdsa/ {ec=$(NF-1)} END {printf "RSA-2048 %.3f ms, ECDSA P-256 %.3f ms", 1000/rsa, 1000/ec}')
MACHINE="$(nproc) cores, $(awk '/model name/ {sub(/.*: /, ""); print; exit}' /proc/cpuinfo), $(free -g | awk '/Mem/ {print $2}') GB, $(uname -sr)"
{
  echo "## Login benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo
  echo "Machine: $MACHINE. wxauthd with ${WXAUTH_WORKERS:-$(nproc)} workers on SQLite; reference: Node $(node --version), one process."
  echo "Each figure: median of $ROUNDS interleaved rounds of ${SECS} s; every login checked to end on the business callback with code=200."
  echo
  echo "| scenario | wxauth | reference | ratio | CPU ms/login (wxauth / ref) | disk KB/login (wxauth / ref) | p99 ms (wxauth / ref) |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}" "${MEMROWS[@]}"
  echo
  echo "One signature here (openssl speed): $SIGN. Emulator CPU per login (on the same 2 cores): $(med "${R[c${LEVELS[1]},auth,pid1_cpu_ms]:-}") ms."
  echo "Command: \`make bench\` (\`bench/login.sh\`)."
} >"$DIR/table.md"
cat "$DIR/table.md"
if [ $SMOKE = 0 ]; then
  mkdir -p bench/results
  cp "$DIR/table.md" "bench/results/login-$(date -u +%Y%m%dT%H%M%SZ).md"
fi
[ $FAILED = 0 ] || { echo "bench: some logins failed (see the table)" >&2; exit 1; }
