#!/usr/bin/env bash
# Shows, as far as one machine allows, that a new machine needs nothing but scripts/setup.sh:
# a machine that has been worked on keeps what was installed by hand, so a green run on it
# proves nothing. Run it before every submission.
#   scripts/fresh-check.sh            1. every program dslab and its tests run is either on a
#                                        new machine or installed by setup.sh (table below);
#                                     2. a fresh clone's setup, with every tool setup installs
#                                        hidden (a private mount namespace masks them, a stand-in
#                                        apt-get records what it is asked for), asks for each
#                                        one's package and builds all the rest itself;
#                                     3. in that clone, the real setup, then dslab doctor
#                                        --runtime docker and one scenario of the Quick start.
#   scripts/fresh-check.sh --reset    (root) first purges the Debian packages setup installs
#                                     and stops dockerd, so step 3 installs them for real.
#   scripts/fresh-check.sh --full     step 3 runs the clone's .ci/run (the whole suite) too.
#   scripts/fresh-check.sh --static   step 1 only (scripts/test.sh runs it, so CI catches code
#                                     that starts running a program nobody installs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reset=false; full=false; static=false
for arg in "$@"; do
  case "$arg" in
    --reset) reset=true ;;
    --full) full=true ;;
    --static) static=true ;;
    *) echo "fresh-check: unknown option $arg (use --reset, --full, --static)" >&2; exit 2 ;;
  esac
done
say() { printf '\n== fresh-check: %s\n' "$*"; }
fail() { printf 'fresh-check FAILED: %s\n' "$*" >&2; exit 1; }
$static || [ "$(id -u)" = 0 ] || fail "run it as root (setup installs Debian packages; step 2 needs a mount namespace)"

# Every program the project runs, and how a new machine of this kind (polyglot) gets it:
#   base          on the machine when it is new (README's prerequisites)
#   deb:PKG:PATH  setup.sh installs Debian package PKG; PATH is where dslab or its tests run it
#   tools         setup.sh installs it into .tools (Node 24, toxiproxy-server)
declare -A HOW=(
  [bash]=base [sh]=base [true]=base [sleep]=base [git]=base [npm]=base [go]=base
  [python3]=base [gcc]=base [g++]=base [make]=base [pkg-config]=base [rpcgen]=base
  [unshare]=base [apt-get]=base [bin/dslab]=base [script]=base
  [node]=tools [toxiproxy-server]=tools
  [docker]=deb:docker.io:/usr/bin/docker [dockerd]=deb:docker.io:/usr/sbin/dockerd
  [iptables]=deb:iptables:/usr/sbin/iptables [debootstrap]=deb:debootstrap:/usr/sbin/debootstrap
  [chromium]=deb:chromium:/usr/bin/chromium [rpcbind]=deb:rpcbind:/usr/sbin/rpcbind
)

say "1. every program the code runs is on a new machine or installed by setup"
# Literal commands of execa/spawn/execFile calls (also across lines) and absolute binaries.
mapfile -t used < <(
  cd "$root" && find src test bench -name '*.ts' -print0 | xargs -0 perl -0777 -ne '
    while (/\b(?:execa|execaSync|execFile|execFileSync|spawn|spawnSync)\(\s*"([^"]+)"/g) { print "$1\n" }
    while (/"\/usr\/s?bin\/([\w.+-]+)"/g) { print "$1\n" }' | sort -u
)
unknown=()
for tool in "${used[@]}" debootstrap unshare; do
  [ -n "${HOW[$tool]:-}" ] || unknown+=("$tool")
done
[ ${#unknown[@]} -eq 0 ] || fail "the code runs ${unknown[*]}, which neither a new machine has nor setup.sh installs: install it in setup.sh and add it to the table in $0"
for tool in "${!HOW[@]}"; do
  case "${HOW[$tool]}" in
    deb:*)
      pkg=$(cut -d: -f2 <<<"${HOW[$tool]}")
      grep -q "want_deb $pkg\b" "$root/scripts/setup.sh" || fail "$tool needs Debian package $pkg, which setup.sh never installs"
      ;;
  esac
done
echo "ok: ${#used[@]} programs found in the code (${used[*]}), each accounted for"
$static && exit 0

clone=$(mktemp -d /tmp/dslab-fresh.XXXXXX)
cleanup() { rm -rf "$clone"; }
trap cleanup EXIT
git clone -q "$root" "$clone/repo"
repo="$clone/repo"

if $reset; then
  say "reset: purging the Debian packages setup installs, stopping dockerd"
  pkill -x dockerd 2>/dev/null || true; pkill -x containerd 2>/dev/null || true
  sleep 2
  mapfile -t debs < <(for how in "${HOW[@]}"; do [[ $how == deb:* ]] && cut -d: -f2 <<<"$how"; done | sort -u)
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${debs[@]}" >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get autoremove --purge -y -qq >/dev/null 2>&1 || true
  for how in "${HOW[@]}"; do
    [[ $how == deb:* ]] || continue
    path=$(cut -d: -f3 <<<"$how")
    [ ! -e "$path" ] || fail "reset: $path is still there after purging its package"
  done
  echo "ok: purged ${debs[*]}"
fi

if ! $reset; then
  say "2. a fresh clone's setup with every tool setup installs hidden"
  shim="$clone/shim"; mkdir -p "$shim"
  masked="$clone/masked"; : >"$masked"; chmod 000 "$masked"
  asked="$clone/apt-asked"; : >"$asked"
  cat >"$shim/apt-get" <<EOF
#!/bin/sh
# Stands in for apt-get: records the packages asked for, installs nothing.
[ "\$1" = install ] && shift && for p in "\$@"; do case "\$p" in -*) ;; *) echo "\$p" >>"$asked" ;; esac; done
exit 0
EOF
  chmod +x "$shim/apt-get"
  mounts=""
  for how in "${HOW[@]}"; do
    [[ $how == deb:* ]] || continue
    path=$(cut -d: -f3 <<<"$how")
    [ -e "$path" ] && mounts+="mount --bind $masked $path; "
  done
  # The engine stays up (started outside the namespace): step 2 checks what setup asks for.
  docker info >/dev/null 2>&1 || fail "step 2 needs a running Docker engine (run scripts/setup.sh --with-docker, or use --reset)"
  unshare -m --propagation private bash -c "$mounts PATH=$shim:\$PATH $repo/scripts/setup.sh --with-test-deps --with-docker" \
    || fail "setup in a fresh clone failed with the tools hidden"
  for how in "${HOW[@]}"; do
    [[ $how == deb:* ]] || continue
    pkg=$(cut -d: -f2 <<<"$how")
    grep -qx "$pkg" "$asked" || fail "with its tools hidden, setup did not ask for Debian package $pkg"
  done
  [ -x "$repo/.tools/bin/toxiproxy-server" ] || fail "setup did not build toxiproxy-server into .tools"
  [ -d "$repo/node_modules" ] || fail "setup did not install the npm dependencies"
  echo "ok: setup asked for $(sort -u "$asked" | tr '\n' ' ')and built toxiproxy-server and node_modules itself"
fi

say "3. the real setup in the clone, dslab doctor, and the Quick start"
(cd "$repo" && scripts/setup.sh --with-test-deps --with-docker) || fail "scripts/setup.sh --with-test-deps --with-docker failed in a fresh clone"
export PATH="$repo/.tools/node_modules/node/bin:$PATH"
(cd "$repo" && bin/dslab doctor --runtime docker) || fail "dslab doctor --runtime docker found something missing after setup"
(cd "$repo" && bin/dslab test rpc fixtures/rpc/cpp-reference --seed 1 --scenario clean --out "$clone/quick-start") \
  || fail "the Quick start's first command (one scenario of it) did not pass in the fresh clone"
if $full; then
  say "the clone's .ci/run (the whole suite)"
  (cd "$repo" && CI=true bash .ci/run) || fail "the fresh clone's .ci/run failed"
fi
say "passed"
