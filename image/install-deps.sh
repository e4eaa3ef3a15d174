#!/bin/sh
# Installs every system dependency of the gateway from Debian 12's packages,
# and the pinned npm inputs of image/npm (FHIR R4 definitions for the
# validator tables, the independent validator used by tests) into
# image/npm/node_modules. Idempotent: when everything is present it prints
# nothing and changes nothing. Run as root.
set -eu

# clang builds the sanitizer and fuzz builds; llvm-14 brings llvm-symbolizer,
# without which clang's sanitizer reports show addresses instead of lines.
# strace: tests/bench.sh pipeline counts pwrite and fsync per message with it.
PACKAGES="
  cmake ninja-build g++ pkg-config clang libclang-rt-14-dev llvm-14
  libpoco-dev rapidjson-dev libssl-dev libsodium-dev libsqlite3-dev sqlite3
  libtss2-dev swtpm swtpm-tools tpm2-tools
  libgtest-dev libgmock-dev libbenchmark-dev libsecp256k1-dev
  libhpdf-dev poppler-utils
  tzdata openssl curl ca-certificates strace
"""
# Node.js and npm: Debian's packages, unless a Node.js with npm is already
# installed some other way (its package then conflicts with Debian's npm).
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES="$PACKAGES nodejs npm"
fi

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

# npm inputs, pinned by image/npm/package-lock.json. Reinstalled only when the
# lock file changed since the last install.
npm_dir="$(cd "$(dirname "$0")" && pwd)/npm"
stamp="$npm_dir/node_modules/.installed-lock"
if ! cmp -s "$npm_dir/package-lock.json" "$stamp" 2>/dev/null; then
  echo "install-deps: installing pinned npm packages into $npm_dir/node_modules"
  (cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$npm_dir/package-lock.json" "$stamp"
fi
