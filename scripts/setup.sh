#!/usr/bin/env bash
# Brings a fresh machine to what dslab needs; idempotent and quiet when nothing is missing.
#   Node >= 22 (the npm package node@24 into .tools when the machine's is older),
#   the npm dependencies, toxiproxy-server v2.12.0 (go install into .tools/bin),
#   and, for the tests and the C++ fixtures, Debian packages (as root only).
#   With --with-test-deps: rpcbind (interop tests) and chromium (the HTML viewer's tests).
#   With --with-docker: docker.io and a running dockerd (as root), and the images
#   (bin/dslab images) when missing.
# Every tool is detected by the binary that dslab or its tests run, never by a look-alike:
# a machine may ship the docker client without the engine (dockerd).
# Usage: scripts/setup.sh [--with-test-deps] [--with-docker]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
mkdir -p "$tools/bin"
say() { printf 'dslab setup: %s\n' "$*" >&2; }

need_debs=()
# A tool is there when an executable of its name is (dpkg may list a package whose binary is
# gone, and command -v also prints files that cannot run).
have() { local path; path=$(command -v "$1") && [ -x "$path" ]; }
want_deb() { need_debs+=("$1"); }
have make || want_deb make
have g++ || want_deb g++
have pkg-config || want_deb pkg-config
have rpcgen || want_deb rpcsvc-proto
[ -f /usr/include/tirpc/rpc/rpc.h ] || want_deb libtirpc-dev
have python3 || want_deb python3
have go || [ -x "$tools/bin/toxiproxy-server" ] || want_deb golang-go
with_test_deps=false; with_docker=false
for arg in "$@"; do
  case "$arg" in
    --with-test-deps) with_test_deps=true ;;
    --with-docker) with_docker=true ;;
    *) say "unknown option $arg (use --with-test-deps, --with-docker)"; exit 2 ;;
  esac
done
if $with_test_deps; then
  [ -x /usr/sbin/rpcbind ] || want_deb rpcbind
  [ -x /usr/bin/chromium ] || want_deb chromium
fi
if $with_docker; then
  # The engine, not the client: the machine may ship /usr/local/bin/docker alone.
  { have dockerd && have docker; } || want_deb docker.io
  have debootstrap || want_deb debootstrap
  have iptables || want_deb iptables
fi
if [ ${#need_debs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${need_debs[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_debs[@]}" >/dev/null
  else
    say "missing Debian packages: ${need_debs[*]} (install them as root: apt-get install ${need_debs[*]})"
    exit 1
  fi
fi

# Node >= 22.18: type stripping runs src/ directly.
node_ok() { "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=18)?0:1)' 2>/dev/null; }
if ! { command -v node >/dev/null && node_ok node; } && ! node_ok "$tools/node_modules/node/bin/node"; then
  say "the machine's Node is older than 22.18; installing node@24 into .tools"
  npm install --no-save --no-audit --no-fund --prefix "$tools" node@24 >/dev/null 2>&1
  # Newer npm skips the package's install script; its binary is in a platform package.
  if ! node_ok "$tools/node_modules/node/bin/node"; then
    bin=$(find "$tools/node_modules" -path '*node-linux-*/bin/node' -type f | head -n 1)
    [ -n "$bin" ] && cp "$bin" "$tools/node_modules/node/bin/node"
  fi
  node_ok "$tools/node_modules/node/bin/node" || { say "could not install Node 24 (npm install node@24 failed)"; exit 1; }
fi
if node_ok "$tools/node_modules/node/bin/node"; then export PATH="$tools/node_modules/node/bin:$PATH"; fi

# npm dependencies, reinstalled when the lock file changed.
stamp="$root/node_modules/.dslab-lock"
if ! cmp -s "$root/package-lock.json" "$stamp" 2>/dev/null; then
  say "installing npm dependencies"
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$root/package-lock.json" "$stamp"
fi

# toxiproxy-server v2.12.0 (the Go module builds a binary named `server`).
if [ ! -x "$tools/bin/toxiproxy-server" ]; then
  say "building toxiproxy-server v2.12.0 with go install"
  GOBIN="$tools/gobin" go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0 >/dev/null 2>&1 \
    || { say "go install of toxiproxy failed (needs the Go module proxy)"; exit 1; }
  mv "$tools/gobin/server" "$tools/bin/toxiproxy-server"
fi

# The Docker runtime: a running engine and the two images, built locally (no registry).
if $with_docker; then
  if ! docker info >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || { say "docker info fails: start dockerd (as root: dockerd &)"; exit 1; }
    say "starting dockerd in the background (log: /var/log/dockerd.log)"
    nohup dockerd >/var/log/dockerd.log 2>&1 &
    for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { say "dockerd did not answer within 60 s; see /var/log/dockerd.log"; exit 1; }
  fi
  if ! docker image inspect ghcr.io/shopify/toxiproxy:2.12.0 dslab/runtime:1 >/dev/null 2>&1; then
    say "building the Docker images (bin/dslab images)"
    "$root/bin/dslab" images >/dev/null
  fi
fi
