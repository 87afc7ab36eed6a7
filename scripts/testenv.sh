#!/usr/bin/env bash
# Real components for the "real" test suite and the benchmarks: a distribution registry (2.8 on
# Debian 12), containerd 1.6 with its CRI plugin, skopeo and podman (containers/image 5.23, the
# library CRI-O pulls with). Everything binds to 127.0.0.1 and lives under one directory; nothing
# uses /var/lib/containerd, /run/containerd or /var/lib/containers.
#
#   scripts/testenv.sh install      apt-get install the four packages (root, Debian/Ubuntu); no-op when present
#   scripts/testenv.sh fetch        download the newer pullers (containerd 1.7/2.1, skopeo 1.18/1.22 =
#                                   containers/image 5.34/5.39, Docker Engine 28.5) from Debian
#                                   trixie/sid into ORACLE_CACHE (default .cache/oracles) without
#                                   touching the system's apt state
#   scripts/testenv.sh up DIR       fetch, then start registry + containerd 1.6 + one containerd per newer
#                                   version + one more per version for ctr pulls + dockerd under DIR,
#                                   wait until ready, write DIR/env
#   scripts/testenv.sh down DIR     stop them by PID, unmount leftovers under DIR, remove DIR
#
# Environment: REG_PORT (default 5055), TESTENV_SNAPSHOTTER=overlayfs|native (default: probe),
# TESTENV_KEEP=1 keeps DIR on `down` (logs stay readable).
#
# DIR/env (shell syntax, also parsed by test/real/setup.ts) holds: TESTENV_DIR REG_ADDR REG_PID
# CTD_SOCK CTD_PID CTD_SNAPSHOTTER CTD_VERSION REG_VERSION PODMAN_ROOT PODMAN_RUNROOT PODMAN_TMPDIR
# PODMAN_STORAGE_DRIVER PODMAN_VERSION SKOPEO_VERSION CONTAINERS_CONF ISOLATED (a wrapper that runs a
# command with /var/lib redirected under DIR, see below), ISOLATED_ALL (tmpfs over /var/lib, /run,
# /var/tmp), ORACLE_CACHE, CTD_ORACLES (VERSION=SOCKET,...), CTD_RECIPES (VERSION=DIR,...: the daemons
# for the linux/arm64 ctr pulls, socket DIR/containerd.sock, registry hosts DIR/certs.d),
# CIMAGE_ORACLES (VERSION=SKOPEO,...) and DOCKER_ORACLES (VERSION=SOCKET,...).
# The oracles are described in docs/oracles.md.
#
# Why each registry option is set (measured on registry 2.8.2, see docs in the file written below):
# schema 1 pushes are refused with a bare 500 unless `compatibility.schema1.enabled`, and a manifest
# whose layer carries `urls` is refused with a bare 500 unless `validation.manifests.urls.allow`
# matches the URL. https://github.com/distribution/distribution/blob/v2.8.2/docs/configuration.md
set -euo pipefail

PACKAGES=(docker-registry containerd skopeo podman openssl)
BINARIES=(docker-registry containerd ctr skopeo podman openssl)

die() {
  echo "testenv: ERROR: $*" >&2
  exit 1
}
log() { echo "testenv: $*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    die "this needs root (containerd and podman storage mount filesystems): run as root or allow passwordless sudo"
  fi
}

have_all() {
  local b
  for b in "${BINARIES[@]}"; do command -v "$b" >/dev/null 2>&1 || return 1; done
}

cmd_install() {
  if have_all; then
    log "install: ${PACKAGES[*]} already present"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 && [ -f /etc/debian_version ] ||
    die "install: automatic install needs Debian or Ubuntu (apt-get). Install ${PACKAGES[*]} yourself (registry 2.8, containerd 1.6+ with CRI, skopeo, podman)"
  # Debian's postinst would start the packaged services, and the packaged registry config listens on
  # :5000 on every interface. A policy-rc.d that exits 101 tells invoke-rc.d / deb-systemd-invoke not
  # to start anything (https://people.debian.org/~hmh/invokerc.d-policyrc.d-specification.txt).
  local made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
    made_policy=1
  fi
  local rc=0
  {
    if ! apt-cache show "${PACKAGES[@]}" >/dev/null 2>&1; then
      log "install: package lists lack some of ${PACKAGES[*]}; running apt-get update"
      as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    fi
    log "install: apt-get install -y ${PACKAGES[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
  } >&2 || rc=$?
  [ "$made_policy" = 1 ] && as_root rm -f /usr/sbin/policy-rc.d
  [ "$rc" = 0 ] || die "install: apt-get failed (rc=$rc) for ${PACKAGES[*]}"
  have_all || die "install: apt-get succeeded but some of ${BINARIES[*]} are still missing from PATH"
  log "install: done"
}

# overlayfs inside an overlay root (containers, some CI runners) often cannot mount. Probe with a real
# mount under DIR; fall back to the plain-copy snapshotter / storage driver when it fails.
probe_overlay() {
  local d=$1/.overlay-probe ok=1
  mkdir -p "$d"/{lower,upper,work,merged}
  echo x >"$d/lower/f"
  if as_root mount -t overlay overlay -o "lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work" "$d/merged" 2>/dev/null; then
    [ -f "$d/merged/f" ] || ok=0
    as_root umount "$d/merged" || ok=0
  else
    ok=0
  fi
  rm -rf "$d"
  [ "$ok" = 1 ]
}

wait_for() { # wait_for SECONDS CMD... -> polls every 20 ms
  local deadline=$((SECONDS + $1))
  shift
  while ((SECONDS <= deadline)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.02
  done
  "$@" >/dev/null 2>&1
}

pid_alive() { kill -0 "$1" 2>/dev/null; }

# Writes D/config.toml for containerd version V: root, state, sockets, CNI and registry hosts all under
# D. 1.x reads config `version = 2` (the host's 1.6 config with its paths moved); 2.x reads
# `version = 3`, where the CRI is split into io.containerd.cri.v1.images (snapshotter, registry
# config_path, pinned sandbox image), io.containerd.cri.v1.runtime (CNI, CDI) and
# io.containerd.grpc.v1.cri (streaming server). https://github.com/containerd/containerd/blob/v2.1.0/docs/cri/config.md
# NRI (on by default in 2.x, socket under /var/run/nri) and CDI (watches /etc/cdi) are turned off.
ctd_config() {
  local dir=$1 reg_addr=$2 snap=$3 v=$4 d=$5
  local sock=$d/containerd.sock
  mkdir -p "$d"/{root,state,opt,cni} "$d/certs.d/$reg_addr"
  cp "$dir/ctd/certs.d/$reg_addr/hosts.toml" "$d/certs.d/$reg_addr/hosts.toml"
  case $v in
  1.*)
    sed -e "s|$dir/ctd/|$d/|g" -e "s|$dir/ctd\"|$d\"|g" "$dir/ctd/config.toml" >"$d/config.toml"
    ;;
  *)
    cat >"$d/config.toml" <<TOML
version = 3
root = "$d/root"
state = "$d/state"
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[debug]
  address = "$sock.debug"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
[plugins."io.containerd.nri.v1.nri"]
  disable = true
[plugins."io.containerd.cri.v1.images"]
  snapshotter = "$snap"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "$reg_addr/pause:3.6"
  [plugins."io.containerd.cri.v1.images".registry]
    config_path = "$d/certs.d"
[plugins."io.containerd.cri.v1.runtime"]
  enable_cdi = false
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "$d/cni"
[plugins."io.containerd.grpc.v1.cri"]
  stream_server_address = "127.0.0.1"
TOML
    ;;
  esac
}

# The host's containerd as "major.minor" (1.6 on Debian 12).
host_ctd_minor() { containerd --version | awk '{print $3}' | grep -oE '^v?[0-9]+\.[0-9]+' | tr -d v; }

# Starts one containerd per newer version (own root, state, sockets, config), each in its own mount
# namespace (DIR/bin/isolated-all), for the CRI pulls; and one more daemon per containerd version
# (the host's 1.6 included), DIR/oracles/recipe-VERSION, for the linux/arm64 pulls, which the CRI of
# this amd64 host cannot make: they are made with that version's ctr as docs/oracles.md describes
# (test/real/harness/ctr-recipe.ts). A daemon of its own, so that it starts from an empty content
# store and the CRI's images never decide its pulls.
start_oracles() {
  local dir=$1 reg_addr=$2 snap=$3 bin=$ORACLE_CACHE/bin v d sock list=""
  mkdir -p "$dir/oracles"
  for v in $(ls "$bin" | sed -n 's/^containerd-//p' | sort -V); do
    d=$dir/oracles/ctd-$v
    sock=$d/containerd.sock
    ctd_config "$dir" "$reg_addr" "$snap" "$v" "$d"
    "$dir/bin/isolated-all" "$bin/containerd-$v" --config "$d/config.toml" >"$d/log" 2>&1 &
    echo $! >"$d/pid"
    list="$list${list:+,}$v=$sock"
  done
  [ -n "$list" ] || die "up: no oracle containerd in $bin (run: testenv.sh fetch)"
  echo "$list" >"$dir/oracles/ctd-list"
  list=""
  local host
  host=$(host_ctd_minor)
  for v in "$host" $(ls "$bin" | sed -n 's/^containerd-//p' | sort -V); do
    d=$dir/oracles/recipe-$v
    ctd_config "$dir" "$reg_addr" "$snap" "$v" "$d"
    local exe=$bin/containerd-$v
    [ "$v" != "$host" ] || exe=$(command -v containerd)
    "$dir/bin/isolated-all" "$exe" --config "$d/config.toml" >"$d/log" 2>&1 &
    echo $! >"$d/pid"
    list="$list${list:+,}$v=$d"
  done
  echo "$list" >"$dir/oracles/recipe-list"
  list=""
  for v in $(ls "$bin" | sed -n 's/^skopeo-//p' | sort -V); do
    "$bin/skopeo-$v" --version >/dev/null 2>"$dir/oracles/skopeo-$v.err" ||
      die "up: $bin/skopeo-$v does not start: $(cat "$dir/oracles/skopeo-$v.err")"
    list="$list${list:+,}$v=$bin/skopeo-$v"
  done
  [ -n "$list" ] || die "up: no oracle skopeo in $bin (run: testenv.sh fetch)"
  echo "$list" >"$dir/oracles/cimage-list"
  # Docker Engine: vfs storage, no iptables, no bridge, no userland proxy (nothing touches the host's
  # network), its own data-root, exec-root (where it starts its containerd) and socket under DIR, in
  # the same private mount namespace as the containerds. The test registries (real and stub) are plain
  # HTTP on loopback.
  list=""
  for v in $(ls "$bin" | sed -n 's/^dockerd-//p' | sort -V); do
    d=$dir/oracles/docker-$v
    mkdir -p "$d"/{data,exec}
    "$dir/bin/isolated-all" "$bin/dockerd-$v" --storage-driver vfs --iptables=false --ip6tables=false \
      --bridge=none --userland-proxy=false -H "unix://$d/docker.sock" --data-root "$d/data" \
      --exec-root "$d/exec" --pidfile "$d/docker.pid" --insecure-registry 127.0.0.0/8 >"$d/log" 2>&1 &
    echo $! >"$d/pid"
    list="$list${list:+,}$v=$d/docker.sock"
  done
  [ -n "$list" ] || die "up: no oracle dockerd in $bin (run: testenv.sh fetch)"
  echo "$list" >"$dir/oracles/docker-list"
  # c/image oracles: a private registries.conf (the registry is plain HTTP), policy and registries.d,
  # so the host's /etc/containers never decides an outcome.
  mkdir -p "$dir/oracles/cimage/registries.d"
  printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$reg_addr" >"$dir/oracles/cimage/registries.conf"
  printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' >"$dir/oracles/cimage/policy.json"
  printf '[storage]\ndriver = "vfs"\n' >"$dir/oracles/cimage/storage.conf"
}

# Waits for every oracle containerd's CRI; on failure prints its log and fails the whole `up`.
wait_oracles() {
  local dir=$1 e v sock d
  for e in $(tr , " " <"$dir/oracles/ctd-list"); do
    v=${e%%=*} sock=${e#*=} d=$dir/oracles/ctd-$v
    if ! wait_for 30 "$ORACLE_CACHE/bin/ctr-$v" --address "$sock" version || ! pid_alive "$(cat "$d/pid")" ||
      ! "$ORACLE_CACHE/bin/ctr-$v" --address "$sock" plugins ls 2>/dev/null |
        grep -E 'io\.containerd\.grpc\.v1[[:space:]]+cri[[:space:]].*ok' >/dev/null; then
      echo "--- containerd $v log ($d/log):" >&2
      tail -n 30 "$d/log" >&2 || true
      cmd_down "$dir" keep-log
      die "up: oracle containerd $v did not start or its CRI plugin did not load"
    fi
  done
  local host ctr
  host=$(host_ctd_minor)
  for e in $(tr , " " <"$dir/oracles/recipe-list"); do
    v=${e%%=*} d=${e#*=} ctr=$ORACLE_CACHE/bin/ctr-$v
    [ "$v" != "$host" ] || ctr=ctr
    if ! wait_for 30 "$ctr" --address "$d/containerd.sock" version || ! pid_alive "$(cat "$d/pid")"; then
      echo "--- containerd $v (ctr recipe) log ($d/log):" >&2
      tail -n 30 "$d/log" >&2 || true
      cmd_down "$dir" keep-log
      die "up: containerd $v for the ctr recipe did not start"
    fi
  done
  for e in $(tr , " " <"$dir/oracles/docker-list"); do
    v=${e%%=*} sock=${e#*=} d=$dir/oracles/docker-$v
    if ! wait_for 60 curl -fsS --unix-socket "$sock" http://docker/_ping || ! pid_alive "$(cat "$d/pid")"; then
      echo "--- dockerd $v log ($d/log):" >&2
      tail -n 30 "$d/log" >&2 || true
      cmd_down "$dir" keep-log
      die "up: oracle dockerd $v did not start"
    fi
  done
}

cmd_up() {
  local dir=${1:-}
  [ -n "$dir" ] || die "usage: testenv.sh up DIR"
  have_all || die "up: missing binaries (${BINARIES[*]}); run: scripts/testenv.sh install"
  [ "$(id -u)" = 0 ] || die "up: containerd needs root; run as root"
  cmd_fetch
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ ! -e "$dir/env" ] || die "up: $dir/env exists; an environment is already up there (run: testenv.sh down $dir)"

  local port=${REG_PORT:-5055}
  local reg_addr=127.0.0.1:$port
  local sock=$dir/ctd/containerd.sock
  # unix socket paths are limited to 108 bytes (sun_path); fail early with a clear message
  ((${#sock} + 7 < 108)) || die "up: DIR is too long for a unix socket path: $sock"

  # a second registry on a busy port would die on bind while /v2/ answers from the first one
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "up: 127.0.0.1:$port is already in use; choose another REG_PORT"
  fi

  local snap=${TESTENV_SNAPSHOTTER:-}
  if [ -z "$snap" ]; then
    if probe_overlay "$dir"; then snap=overlayfs; else snap=native; fi
  fi
  local pdriver=overlay
  [ "$snap" = overlayfs ] || pdriver=vfs

  mkdir -p "$dir"/reg/data "$dir"/ctd/{root,state,opt,cni} "$dir/ctd/certs.d/$reg_addr" \
    "$dir"/podman/{root,run,tmp} "$dir"/blobs

  # --- registry -------------------------------------------------------------------------------
  cat >"$dir/reg/config.yml" <<YAML
# distribution 2.8 config for tests: loopback only, filesystem storage under TESTENV_DIR.
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $dir/reg/data}
  delete: {enabled: true}
  cache: {blobdescriptor: inmemory}
http:
  addr: $reg_addr
  secret: kube-runtime-audit-testenv
compatibility:
  schema1: {enabled: true}
validation:
  manifests:
    urls:
      allow: ['^https?://127\\.0\\.0\\.1(:[0-9]+)?/']
YAML
  docker-registry serve "$dir/reg/config.yml" >"$dir/reg/log" 2>&1 &
  local reg_pid=$!
  echo "$reg_pid" >"$dir/reg/pid"

  # --- containerd -------------------------------------------------------------------------------
  # root/state/sockets all under DIR; CRI reads registry hosts from config_path (certs.d/<host>/hosts.toml)
  # https://github.com/containerd/containerd/blob/release/1.6/docs/hosts.md
  cat >"$dir/ctd/config.toml" <<TOML
version = 2
root = "$dir/ctd/root"
state = "$dir/ctd/state"
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[debug]
  address = "$sock.debug"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/ctd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$reg_addr/pause:3.6"
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "$snap"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/ctd/cni"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$dir/ctd/certs.d"
TOML
  cat >"$dir/ctd/certs.d/$reg_addr/hosts.toml" <<TOML
server = "http://$reg_addr"
[host."http://$reg_addr"]
  capabilities = ["pull", "resolve", "push"]
TOML
  containerd --config "$dir/ctd/config.toml" >"$dir/ctd/log" 2>&1 &
  local ctd_pid=$!
  echo "$ctd_pid" >"$dir/ctd/pid"

  # --- podman config: keep every path (events, volumes, networks, copy temp) under DIR -----------
  cat >"$dir/podman/containers.conf" <<TOML
[engine]
events_logger = "file"
events_logfile_path = "$dir/podman/tmp/events.log"
cgroup_manager = "cgroupfs"
volume_path = "$dir/podman/root/volumes"
static_dir = "$dir/podman/root/libpod"
tmp_dir = "$dir/podman/tmp"
image_copy_tmp_dir = "$dir/podman/tmp"
[network]
network_config_dir = "$dir/podman/networks"
TOML
  # podman 4.3 / skopeo (containers/image 5.23) running as root write their blob-info cache to
  # /var/lib/containers/cache whatever --root says (c/image pkg/blobinfocache/default.go uses it for
  # euid 0). DIR/bin/isolated runs a command in a private mount namespace where /var/lib is an overlay
  # whose writes land in DIR/varlib (or a tmpfs when overlay cannot mount), so the host's /var/lib
  # never changes. podman.ts runs every podman command through it.
  mkdir -p "$dir"/bin "$dir"/varlib/{upper,work}
  cat >"$dir/bin/isolated" <<SH
#!/bin/sh
# usage: isolated CMD [ARGS...]   (written by scripts/testenv.sh up)
exec unshare --mount --propagation private -- sh -c '
  mount -t overlay overlay -o lowerdir=/var/lib,upperdir=$dir/varlib/upper,workdir=$dir/varlib/work /var/lib 2>/dev/null ||
    mount -t tmpfs -o mode=0755 tmpfs /var/lib || { echo "isolated: cannot mount over /var/lib" >&2; exit 126; }
  exec "\$@"' isolated "\$@"
SH
  chmod 755 "$dir/bin/isolated"
  # The newer pullers (containerd >= 1.7 always creates /run/containerd whatever its state dir says,
  # c/image >= 5.34 writes /var/lib/containers/cache and /run/containers) run through
  # DIR/bin/isolated-all: a private mount namespace with tmpfs over /var/lib, /run and /var/tmp.
  cat >"$dir/bin/isolated-all" <<'SH'
#!/bin/sh
# usage: isolated-all CMD [ARGS...]   (written by scripts/testenv.sh up)
exec unshare --mount --propagation private -- sh -c '
  for d in /var/lib /run /var/tmp; do
    mount -t tmpfs -o mode=0755 tmpfs "$d" || { echo "isolated-all: cannot mount tmpfs over $d" >&2; exit 126; }
  done
  exec "$@"' isolated-all "$@"
SH
  chmod 755 "$dir/bin/isolated-all"
  start_oracles "$dir" "$reg_addr" "$snap"

  local ok=1
  wait_for 15 curl -fsS "http://$reg_addr/v2/" || ok=0
  if [ "$ok" = 0 ] || ! pid_alive "$reg_pid"; then
    echo "--- registry log ($dir/reg/log):" >&2
    tail -n 30 "$dir/reg/log" >&2 || true
    cmd_down "$dir" keep-log
    die "up: the registry did not answer on http://$reg_addr/v2/ (port in use? set REG_PORT)"
  fi
  wait_for 30 ctr --address "$sock" version || ok=0
  if [ "$ok" = 0 ] || ! pid_alive "$ctd_pid"; then
    echo "--- containerd log ($dir/ctd/log):" >&2
    tail -n 30 "$dir/ctd/log" >&2 || true
    cmd_down "$dir" keep-log
    die "up: containerd did not answer on $sock"
  fi
  pid_alive "$reg_pid" || {
    tail -n 30 "$dir/reg/log" >&2 || true
    cmd_down "$dir" keep-log
    die "up: the registry exited after start"
  }
  ctr --address "$sock" plugins ls 2>/dev/null | grep -E 'io\.containerd\.grpc\.v1[[:space:]]+cri[[:space:]].*ok' >/dev/null || {
    tail -n 30 "$dir/ctd/log" >&2 || true
    cmd_down "$dir" keep-log
    die "up: containerd's CRI plugin did not load (see log above)"
  }

  wait_oracles "$dir"
  local ctd_version reg_version podman_version skopeo_version
  ctd_version=$(containerd --version | awk '{print $3}')
  reg_version=$(docker-registry --version | awk '{print $3}')
  podman_version=$(podman --version | awk '{print $3}')
  skopeo_version=$(skopeo --version | awk '{print $3}')
  cat >"$dir/env.tmp" <<ENV
TESTENV_DIR=$dir
REG_ADDR=$reg_addr
REG_PID=$reg_pid
CTD_SOCK=$sock
CTD_PID=$ctd_pid
CTD_SNAPSHOTTER=$snap
CTD_VERSION=$ctd_version
REG_VERSION=$reg_version
PODMAN_ROOT=$dir/podman/root
PODMAN_RUNROOT=$dir/podman/run
PODMAN_TMPDIR=$dir/podman/tmp
PODMAN_STORAGE_DRIVER=$pdriver
PODMAN_VERSION=$podman_version
SKOPEO_VERSION=$skopeo_version
CONTAINERS_CONF=$dir/podman/containers.conf
ISOLATED=$dir/bin/isolated
ISOLATED_ALL=$dir/bin/isolated-all
ORACLE_CACHE=$ORACLE_CACHE
CTD_ORACLES=$(cat "$dir/oracles/ctd-list")
CTD_RECIPES=$(cat "$dir/oracles/recipe-list")
CIMAGE_ORACLES=$(cat "$dir/oracles/cimage-list")
DOCKER_ORACLES=$(cat "$dir/oracles/docker-list")
ENV
  mv "$dir/env.tmp" "$dir/env"
  log "up: registry $reg_addr (pid $reg_pid, $reg_version), containerd $ctd_version (pid $ctd_pid, snapshotter $snap), dir $dir"
}

stop_pids() { # TERM all, wait up to 5 s for all, then KILL the rest
  local p i left
  for p in "$@"; do pid_alive "$p" && kill -TERM "$p" 2>/dev/null; done
  for i in $(seq 1 250); do
    left=0
    for p in "$@"; do pid_alive "$p" && left=1; done
    [ "$left" = 1 ] || return 0
    sleep 0.02
  done
  for p in "$@"; do
    pid_alive "$p" || continue
    log "down: pid $p ignored SIGTERM for 5 s; sending SIGKILL"
    kill -KILL "$p" 2>/dev/null || true
  done
}

cmd_down() {
  local dir=${1:-} mode=${2:-}
  [ -n "$dir" ] || die "usage: testenv.sh down DIR"
  [ -d "$dir" ] || {
    log "down: $dir does not exist; nothing to do"
    return 0
  }
  dir=$(cd "$dir" && pwd)
  case "$dir" in / | /tmp | /var | /var/* | /run | /run/* | /usr | /usr/* | /etc | /etc/* | "$HOME")
    die "down: refusing to remove $dir" ;;
  esac
  local f pids=()
  for f in "$dir/ctd/pid" "$dir/reg/pid" "$dir"/oracles/{ctd,recipe,docker}-*/pid; do
    [ -f "$f" ] && pids+=("$(cat "$f")")
  done
  [ "${#pids[@]}" = 0 ] || stop_pids "${pids[@]}"
  rm -f "$dir/ctd/pid" "$dir/reg/pid" "$dir"/oracles/{ctd,recipe,docker}-*/pid
  # podman's overlay driver leaves "<root>/overlay" bind-mounted on itself; containerd leaves nothing
  # after pulls, but a crashed run might. Unmount everything under DIR, deepest first.
  local m
  while read -r m; do
    [ -n "$m" ] || continue
    as_root umount "$m" 2>/dev/null || as_root umount -l "$m" 2>/dev/null || log "down: could not unmount $m"
  done < <(awk -v d="$dir/" '{ gsub(/\\040/, " ", $2); if (index($2, d) == 1) print $2 }' /proc/mounts | sort -r)
  if [ "$mode" = keep-log ] || [ "${TESTENV_KEEP:-0}" = 1 ]; then
    rm -f "$dir/env"
    log "down: stopped; kept $dir"
    return 0
  fi
  rm -rf "$dir"
  log "down: stopped and removed $dir"
}

# --- newer pullers from Debian's archive (the "oracles") ------------------------------------------
# containerd 1.7 (trixie) and 2.1 (sid), and containers/image 5.34 / 5.39 inside skopeo 1.18 (trixie)
# and 1.22 (sid). Nothing is installed: `apt-get download` with a private sources list, lists dir and
# cache (the system's apt state is never read for sources nor written), then `dpkg-deb -x` into
# ORACLE_CACHE (default REPO/.cache/oracles, git-ignored). A package whose folder has its `.ok` stamp
# is not fetched again, so CI caches that folder. skopeo from trixie/sid needs a newer glibc than the
# host's: the binaries are copied and patched (patchelf) to use the extracted ld-linux and libraries,
# because containers/storage applies layers by re-executing /proc/self/exe, which would be the loader
# under `ld-linux.so skopeo`. See docs/oracles.md.
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ORACLE_CACHE=${ORACLE_CACHE:-$REPO_ROOT/.cache/oracles}
# The physical path: a worktree whose .cache is a symlink to another checkout's must not look like a
# moved cache to oracle_link (which would rebuild the shared bin/ under whoever else is using it).
[ ! -d "$ORACLE_CACHE" ] || ORACLE_CACHE=$(cd "$ORACLE_CACHE" && pwd -P)
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# NAME/SUITE -> folder under ORACLE_CACHE/pkg
ORACLE_PKGS=(
  containerd/trixie containerd/sid
  skopeo/trixie skopeo/sid
  libgpgme11t64/trixie
  libc6/sid libgpgme45/sid libassuan9/sid libgpg-error0/sid
  patchelf/bookworm
  docker.io/sid
)

apt_private() {
  local a=$ORACLE_CACHE/apt
  apt-get -q -o Dir::Etc::SourceList="$a/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$a/lists" -o Dir::Cache="$a/cache" -o Dir::Cache::archives="$a/archives" \
    -o Dir::State::status=/dev/null -o Acquire::Languages=none -o APT::Architectures::=amd64 \
    -o APT::Architecture=amd64 -o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
}

cmd_fetch() {
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
    die "fetch: needs apt-get and dpkg-deb (Debian/Ubuntu) to download the oracle packages"
  local a=$ORACLE_CACHE/apt p name suite dir missing=()
  for p in "${ORACLE_PKGS[@]}"; do
    [ -f "$ORACLE_CACHE/pkg/${p//\//_}/.ok" ] || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    mkdir -p "$a/lists/partial" "$a/cache" "$a/archives/partial" "$ORACLE_CACHE/pkg"
    cat >"$a/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $DEBIAN_MIRROR bookworm main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $DEBIAN_MIRROR trixie main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $DEBIAN_MIRROR sid main
SRC
    log "fetch: apt-get update (private lists under $a)"
    apt_private update >&2 || die "fetch: apt-get update failed for $DEBIAN_MIRROR (bookworm, trixie, sid)"
    for p in "${missing[@]}"; do
      name=${p%/*} suite=${p#*/} dir=$ORACLE_CACHE/pkg/${p//\//_}
      rm -rf "$dir" && mkdir -p "$dir"
      (cd "$a/archives" && rm -f "${name}"_*.deb && apt_private download "$name/$suite" >&2) ||
        die "fetch: apt-get download $name/$suite failed"
      local deb
      deb=$(ls "$a/archives/${name}"_*.deb 2>/dev/null | head -n1)
      [ -n "$deb" ] || die "fetch: no .deb for $name/$suite after download"
      dpkg-deb -x "$deb" "$dir/root" || die "fetch: dpkg-deb -x $deb failed"
      dpkg-deb -f "$deb" Package Version Built-Using Static-Built-Using >"$dir/control"
      echo "deb=$(basename "$deb") sha256=$(sha256sum "$deb" | awk '{print $1}')" >>"$dir/control"
      rm -f "$deb"
      touch "$dir/.ok"
      log "fetch: $name/$suite $(sed -n 's/^Version: //p' "$dir/control")"
    done
    # the package lists (~60 MB) are only needed to download; the stamps keep later runs offline
    rm -rf "$a/lists" "$a/cache" "$a/archives"
  fi
  oracle_link
}

pkgroot() { echo "$ORACLE_CACHE/pkg/${1//\//_}/root"; }

# Builds ORACLE_CACHE/bin: containerd-1.7/ctr-1.7, containerd-2.1/ctr-2.1 (as extracted), and
# skopeo-5.34 / skopeo-5.39 patched onto per-suite library roots. Redone when the cache moved.
oracle_link() {
  local c=$ORACLE_CACHE bin=$ORACLE_CACHE/bin stamp
  stamp="$c|$(cat "$c"/pkg/*/control 2>/dev/null | sha256sum | cut -c1-16)"
  [ -f "$bin/.ok" ] && [ "$(cat "$bin/.ok")" = "$stamp" ] && return 0
  rm -rf "$bin" "$c/libroot-trixie" "$c/libroot-sid" && mkdir -p "$bin"
  local pe=$(pkgroot patchelf/bookworm)/usr/bin/patchelf suite v
  [ -x "$pe" ] || die "fetch: patchelf missing from the cache"
  for suite in trixie sid; do
    v=$(sed -n 's/^Version: //p' "$c/pkg/containerd_$suite/control")
    v=$(echo "$v" | grep -oE '^[0-9]+\.[0-9]+')
    ln -s "$(pkgroot containerd/$suite)/usr/bin/containerd" "$bin/containerd-$v"
    ln -s "$(pkgroot containerd/$suite)/usr/bin/ctr" "$bin/ctr-$v"
  done
  # Library roots: both skopeos need glibc >= 2.38 (Debian 12 has 2.36), so both get sid's loader and
  # libc (glibc is backward compatible) plus their own suite's gpgme. DT_RPATH, not DT_RUNPATH: RUNPATH
  # would not reach gpgme's own dependencies.
  local lr
  for suite in trixie sid; do
    lr=$c/libroot-$suite
    mkdir -p "$lr"
    cp -a "$(pkgroot libc6/sid)/." "$lr/"
    cp -a "$(pkgroot libgpg-error0/sid)/." "$lr/"
    if [ "$suite" = trixie ]; then
      cp -a "$(pkgroot libgpgme11t64/trixie)/." "$(pkgroot libassuan9/sid)/." "$lr/"
    else
      cp -a "$(pkgroot libgpgme45/sid)/." "$(pkgroot libassuan9/sid)/." "$lr/"
    fi
    v=$(cimage_version "$suite")
    cp "$(pkgroot skopeo/$suite)/usr/bin/skopeo" "$bin/skopeo-$v"
    "$pe" --set-interpreter "$lr/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
      --force-rpath --set-rpath "$lr/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu" \
      "$bin/skopeo-$v" || die "fetch: patchelf failed on skopeo-$v"
  done
  # Docker Engine (dockerd, classic image store) runs on the host's libc; it starts its own containerd.
  v=$(sed -n 's/^Version: //p' "$c/pkg/docker.io_sid/control" | grep -oE '^[0-9]+\.[0-9]+')
  ln -s "$(pkgroot docker.io/sid)/usr/sbin/dockerd" "$bin/dockerd-$v"
  echo "$stamp" >"$bin/.ok"
}

# "5.34" from skopeo's Built-Using: golang-github-containers-image (= 5.34.2-1)
cimage_version() {
  grep -oE 'golang-github-containers-image \(= [0-9]+\.[0-9]+' "$ORACLE_CACHE/pkg/skopeo_$1/control" |
    grep -oE '[0-9]+\.[0-9]+$' || die "fetch: cannot read the containers/image version skopeo/$1 was built with"
}

case "${1:-}" in
fetch) cmd_fetch ;;
install) cmd_install ;;
up) cmd_up "${2:-}" ;;
down) cmd_down "${2:-}" ;;
*)
  echo "usage: $0 install | fetch | up DIR | down DIR" >&2
  exit 2
  ;;
esac
