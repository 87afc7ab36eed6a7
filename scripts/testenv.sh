#!/usr/bin/env bash
# Real components for the "real" test suite and the benchmarks: a distribution registry (2.8 on
# Debian 12), containerd 1.6 with its CRI plugin, skopeo and podman (containers/image 5.23, the
# library CRI-O pulls with). Everything binds to 127.0.0.1 and lives under one directory; nothing
# uses /var/lib/containerd, /run/containerd or /var/lib/containers.
#
#   scripts/testenv.sh install      apt-get install the four packages (root, Debian/Ubuntu); no-op when present
#   scripts/testenv.sh up DIR       start registry + containerd under DIR, wait until ready, write DIR/env
#   scripts/testenv.sh down DIR     stop them by PID, unmount leftovers under DIR, remove DIR
#
# Environment: REG_PORT (default 5055), TESTENV_SNAPSHOTTER=overlayfs|native (default: probe),
# TESTENV_KEEP=1 keeps DIR on `down` (logs stay readable).
#
# DIR/env (shell syntax, also parsed by test/real/setup.ts) holds: TESTENV_DIR REG_ADDR REG_PID
# CTD_SOCK CTD_PID CTD_SNAPSHOTTER CTD_VERSION REG_VERSION PODMAN_ROOT PODMAN_RUNROOT PODMAN_TMPDIR
# PODMAN_STORAGE_DRIVER PODMAN_VERSION SKOPEO_VERSION CONTAINERS_CONF ISOLATED (a wrapper that runs a
# command with /var/lib redirected under DIR, see below).
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

cmd_up() {
  local dir=${1:-}
  [ -n "$dir" ] || die "usage: testenv.sh up DIR"
  have_all || die "up: missing binaries (${BINARIES[*]}); run: scripts/testenv.sh install"
  [ "$(id -u)" = 0 ] || die "up: containerd needs root; run as root"
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
  for f in "$dir/ctd/pid" "$dir/reg/pid"; do
    [ -f "$f" ] && pids+=("$(cat "$f")")
  done
  [ "${#pids[@]}" = 0 ] || stop_pids "${pids[@]}"
  rm -f "$dir/ctd/pid" "$dir/reg/pid"
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

case "${1:-}" in
install) cmd_install ;;
up) cmd_up "${2:-}" ;;
down) cmd_down "${2:-}" ;;
*)
  echo "usage: $0 install | up DIR | down DIR" >&2
  exit 2
  ;;
esac
