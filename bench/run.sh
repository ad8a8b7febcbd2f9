#!/usr/bin/env bash
# Run the benchmarks against a fresh demo-like set-up on spare loopback ports.
#   bench/run.sh            login concurrency with WeChat latency 300 ms, 200 logins at once,
#                           then /auth/check against nginx (bench/auth_check.sh, its own set-up)
# Env: BUILD (build), BENCH_LATENCY_MS (300), BENCH_N (200).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LAT=${BENCH_LATENCY_MS:-300}
N=${BENCH_N:-200}
make -s build BUILD="$BUILD" >/dev/null
DIR=$(mktemp -d /tmp/wxauth-bench.XXXXXX)
export WXAUTH_PORT=${WXAUTH_PORT:-18080} WXEMU_PORT=${WXEMU_PORT:-18090} WXDEMO_PORT=${WXDEMO_PORT:-18000}
WXDEMO_DIR="$DIR" WXEMU_LATENCY_MS="$LAT" BUILD="$BUILD" scripts/demo.sh >"$DIR/demo.out" 2>&1 &
DEMO=$!
trap 'kill -TERM $DEMO 2>/dev/null; wait $DEMO 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 1 100); do
  grep -q "demo is running" "$DIR/demo.out" 2>/dev/null && break
  sleep 0.1
done
grep -q "demo is running" "$DIR/demo.out" || { cat "$DIR/demo.out"; exit 1; }
echo "== login concurrency (emulated WeChat latency ${LAT} ms per API call, $(nproc) cores)"
"$BUILD/bench_login_concurrency" "http://127.0.0.1:$WXAUTH_PORT/oauth/wechatmp/url/demo" "$N" 5
echo
BUILD="$BUILD" bench/auth_check.sh
