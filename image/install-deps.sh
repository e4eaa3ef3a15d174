#!/bin/sh
# Installs every system dependency of the gateway from Debian 12's packages
# (and, once later issues need them, the pinned npm tools). Idempotent: when
# everything is present it prints nothing and changes nothing. Run as root.
set -eu

PACKAGES="
  cmake ninja-build g++ pkg-config clang libclang-rt-14-dev
  libpoco-dev rapidjson-dev libssl-dev libsodium-dev libsqlite3-dev sqlite3
  libtss2-dev swtpm swtpm-tools tpm2-tools
  libgtest-dev libgmock-dev libbenchmark-dev libsecp256k1-dev
"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing" >&2
    echo "install-deps: run as root (or: sudo $0)" >&2
    exit 1
  fi
  echo "install-deps: installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
