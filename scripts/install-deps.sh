#!/usr/bin/env bash
# Install the Debian packages wxauth needs to build, test and run its demo.
# Idempotent: installs only what is missing; runs apt-get update at most once.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config clang
  libevent-dev libcurl4-openssl-dev libjansson-dev libssl-dev libsqlite3-dev
  libcmocka-dev curl sqlite3 ca-certificates
  nginx-light wrk python3 python3-jwt
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

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
