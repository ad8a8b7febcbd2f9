#!/usr/bin/env bash
# Install what wxauth needs to build, test and run its demo: Debian packages, then the npm
# packages of the JavaScript tests (tests/js) and of the benchmark's Node reference
# (bench/reference), each from its package-lock.json.
# Idempotent: installs only what is missing; runs apt-get update at most once.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
  libevent-dev libcurl4-openssl-dev libjansson-dev libssl-dev libsqlite3-dev libpq-dev
  libqrencode-dev zbar-tools
  postgresql postgresql-common
  libcmocka-dev curl sqlite3 ca-certificates
  nginx-light haproxy wrk python3 python3-jwt python3-authlib
  apache2 libapache2-mod-auth-openidc
  chromium fonts-wqy-microhei
)
# Node.js: the machine's own if it has one (it may not come from Debian), else Debian's.
command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

npm_dir() {
  # npm ci only when the lock file changed since the last install.
  local dir="$ROOT/$1" stamp="$ROOT/$1/node_modules/.wxauth-lock"
  if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then return 0; fi
  echo "install-deps: npm ci in $1" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$dir/package-lock.json" "$stamp"
}
# tests/js: the JS tests; bench/reference: the Node reference of the login benchmark (its
# better-sqlite3 compiles against the Node headers of the nodejs package, about a minute, once).
npm_deps() { npm_dir tests/js; npm_dir bench/reference; }

if [ ${#missing[@]} -eq 0 ]; then npm_deps; exit 0; fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_deps
