# Shared helper for end-to-end tests: a real system-mode libvirtd (and virtlogd) for the test,
# started only when none is running, and a small shut-off QEMU domain to work on.
#
# Usage (from a bash test script run as root):
#   . "$(dirname "$0")/lib/libvirtd.sh"
#   libvirt_start || exit 1
#   trap 'undefine_test_domain NAME; libvirt_stop' EXIT
#   define_test_domain NAME [q35|pc]
#
# Several test scripts may use the helper at the same time: daemons started by the helper are
# shared, counted by a user file per script, and stopped by the last user only. Daemons that
# were already running when the first user came (a real libvirtd, say) are never stopped.
# Everything runs under one lock so that two scripts do not start two daemons.

LIBVIRT_E2E_STATE=${LIBVIRT_E2E_STATE:-/run/ptagent-e2e-libvirt}
LIBVIRT_E2E_URI=${LIBVIRT_E2E_URI:-qemu:///system}
LIBVIRT_E2E_QEMU_CONF=${LIBVIRT_E2E_QEMU_CONF:-/etc/libvirt/qemu.conf}
LIBVIRT_E2E_TIMEOUT=${LIBVIRT_E2E_TIMEOUT:-30}
LIBVIRT_E2E_USER_ID=""

_lv_log() { echo "libvirtd.sh: $*" >&2; }

# Runs "$@" holding the helper's lock (bounded wait, so a stuck script cannot hang the others).
_lv_locked() {
  mkdir -p "$LIBVIRT_E2E_STATE"
  (
    flock -w 60 9 || { _lv_log "could not take the lock $LIBVIRT_E2E_STATE/lock within 60 s"; exit 1; }
    "$@"
  ) 9>"$LIBVIRT_E2E_STATE/lock"
}

# The pid in a pid file if that process is alive, else nothing (and a non-zero status).
_lv_live_pid() {
  local file=$1 pid
  [ -s "$file" ] || return 1
  pid=$(tr -dc '0-9' <"$file")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

_lv_answers() { timeout 10 virsh -q -c "$LIBVIRT_E2E_URI" version >/dev/null 2>&1; }

# Waits (bounded) until virsh answers.
_lv_wait_ready() {
  local deadline=$((SECONDS + LIBVIRT_E2E_TIMEOUT))
  while [ "$SECONDS" -lt "$deadline" ]; do
    _lv_answers && return 0
    sleep 0.5
  done
  _lv_log "libvirtd did not answer 'virsh -c $LIBVIRT_E2E_URI version' within ${LIBVIRT_E2E_TIMEOUT} s"
  return 1
}

# qemu.conf: QEMU runs as root inside test containers (no dynamic ownership surprises). The
# original is kept as qemu.conf.ptagent-e2e.orig, which is also the sign that the helper edited
# the file (state under /run can vanish; the backup next to the file cannot be missed), and the
# last user puts it back.
_lv_has_setting() { grep -Eq "^[[:space:]]*$1[[:space:]]*=[[:space:]]*\"root\"" "$LIBVIRT_E2E_QEMU_CONF"; }

_lv_edit_qemu_conf() {
  [ -f "$LIBVIRT_E2E_QEMU_CONF" ] || { mkdir -p "$(dirname "$LIBVIRT_E2E_QEMU_CONF")"; : >"$LIBVIRT_E2E_QEMU_CONF"; }
  if _lv_has_setting user && _lv_has_setting group; then return 0; fi
  # The file as it is now is the one to give back (a stale backup from a crashed run is replaced).
  cp -p "$LIBVIRT_E2E_QEMU_CONF" "$LIBVIRT_E2E_QEMU_CONF.ptagent-e2e.orig" || return 1
  local tmp="$LIBVIRT_E2E_QEMU_CONF.ptagent-e2e.tmp"
  # Drop any active user/group line, then state ours.
  grep -Ev '^[[:space:]]*(user|group)[[:space:]]*=' "$LIBVIRT_E2E_QEMU_CONF" >"$tmp" || true
  printf '%s\n' '# added by ptagent tests/e2e/lib/libvirtd.sh (original: qemu.conf.ptagent-e2e.orig)' \
    'user = "root"' 'group = "root"' >>"$tmp"
  chmod --reference="$LIBVIRT_E2E_QEMU_CONF" "$tmp" 2>/dev/null || true
  mv -f "$tmp" "$LIBVIRT_E2E_QEMU_CONF"
}

_lv_restore_qemu_conf() {
  local backup="$LIBVIRT_E2E_QEMU_CONF.ptagent-e2e.orig"
  [ -f "$backup" ] && mv -f "$backup" "$LIBVIRT_E2E_QEMU_CONF"
  rm -f "$LIBVIRT_E2E_STATE/qemu.conf.edited"  # marker of older versions of this helper
  return 0
}

# Live users other than us; removes the files of users that died without libvirt_stop.
_lv_other_users() {
  local f pid n=0
  for f in "$LIBVIRT_E2E_STATE"/users/*; do
    [ -e "$f" ] || continue
    pid=${f##*/}
    [ "$pid" = "$LIBVIRT_E2E_USER_ID" ] && continue
    if kill -0 "$pid" 2>/dev/null; then n=$((n + 1)); else rm -f "$f"; fi
  done
  echo "$n"
}

# Starts one daemon unless its pid file names a live process; records that the helper started it.
_lv_start_daemon() {
  local name=$1 pidfile=$2
  if _lv_live_pid "$pidfile" >/dev/null; then return 0; fi
  # fd 9 is the helper's lock: the daemon must not inherit it, or it would hold the lock forever.
  "$name" -d 9>&- || { _lv_log "'$name -d' failed"; return 1; }
  local deadline=$((SECONDS + LIBVIRT_E2E_TIMEOUT))
  until _lv_live_pid "$pidfile" >/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || { _lv_log "$name wrote no pid file $pidfile"; return 1; }
    sleep 0.2
  done
  _lv_live_pid "$pidfile" >"$LIBVIRT_E2E_STATE/started.$name"
}

_lv_start_locked() {
  mkdir -p /var/log/libvirt /var/run/libvirt /var/lib/libvirt "$LIBVIRT_E2E_STATE/users"
  getent group kvm >/dev/null || groupadd --system kvm || return 1
  if ! getent passwd libvirt-qemu >/dev/null; then
    useradd --system --no-create-home --home-dir /var/lib/libvirt --shell /usr/sbin/nologin \
      --gid kvm libvirt-qemu || return 1
  fi
  _lv_edit_qemu_conf || return 1
  touch "$LIBVIRT_E2E_STATE/users/$LIBVIRT_E2E_USER_ID"
  _lv_start_daemon virtlogd /run/virtlogd.pid || return 1
  _lv_start_daemon libvirtd /run/libvirtd.pid || return 1
  _lv_wait_ready
}

libvirt_start() {
  command -v libvirtd >/dev/null && command -v virsh >/dev/null || {
    _lv_log "libvirtd/virsh are not installed (run contrib/install-deps.sh)"
    return 1
  }
  [ "$(id -u)" -eq 0 ] || { _lv_log "run as root"; return 1; }
  LIBVIRT_E2E_USER_ID=$$
  _lv_locked _lv_start_locked
}

# Stops a daemon the helper started: SIGTERM, wait (bounded), then SIGKILL.
_lv_stop_daemon() {
  local name=$1 pidfile=$2 rec="$LIBVIRT_E2E_STATE/started.$1" pid
  [ -f "$rec" ] || return 0
  pid=$(tr -dc '0-9' <"$rec")
  rm -f "$rec"
  # Only the process the helper recorded, and only if the pid file still names it.
  [ -n "$pid" ] && [ "$(_lv_live_pid "$pidfile")" = "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  local deadline=$((SECONDS + LIBVIRT_E2E_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      _lv_log "$name ($pid) ignored SIGTERM; killing it"
      kill -KILL "$pid" 2>/dev/null
      break
    fi
    sleep 0.2
  done
}

_lv_stop_locked() {
  rm -f "$LIBVIRT_E2E_STATE/users/$LIBVIRT_E2E_USER_ID"
  if [ "$(_lv_other_users)" -gt 0 ]; then return 0; fi
  _lv_stop_daemon libvirtd /run/libvirtd.pid
  _lv_stop_daemon virtlogd /run/virtlogd.pid
  _lv_restore_qemu_conf
}

libvirt_stop() {
  [ -n "$LIBVIRT_E2E_USER_ID" ] || return 0
  _lv_locked _lv_stop_locked
  LIBVIRT_E2E_USER_ID=""
}

# Defines a shut-off QEMU (TCG) domain: 64 MiB, no disk, VNC graphics on 127.0.0.1 (mdev
# display='on' needs a graphics device). An old domain of the same name is replaced.
# EXTRA_DEVICES is XML added inside <devices>; a device with <boot order='N'/> there stops libvirt
# from adding <os><boot dev='hd'/>, which it refuses together with per-device boot orders.
#   define_test_domain NAME [q35|pc] [EXTRA_DEVICES]
define_test_domain() {
  local name=$1 machine=${2:-q35} extra=${3:-}
  case $name in '' | *[!A-Za-z0-9_.-]*) _lv_log "define_test_domain: bad name '$name'"; return 1 ;; esac
  if virsh -q -c "$LIBVIRT_E2E_URI" dominfo "$name" >/dev/null 2>&1; then
    virsh -q -c "$LIBVIRT_E2E_URI" destroy "$name" >/dev/null 2>&1
    virsh -q -c "$LIBVIRT_E2E_URI" undefine "$name" --nvram >/dev/null 2>&1 ||
      virsh -q -c "$LIBVIRT_E2E_URI" undefine "$name" >/dev/null 2>&1
  fi
  local xml
  xml=$(mktemp) || return 1
  cat >"$xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='$machine'>hvm</type>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    <video><model type='none'/></video>
    <memballoon model='none'/>
$extra
  </devices>
</domain>
EOF
  virsh -q -c "$LIBVIRT_E2E_URI" define "$xml" >/dev/null
  local rc=$?
  rm -f "$xml"
  return $rc
}

# Destroys (if running) and undefines a test domain; quiet when it does not exist.
undefine_test_domain() {
  local name=$1
  virsh -q -c "$LIBVIRT_E2E_URI" dominfo "$name" >/dev/null 2>&1 || return 0
  virsh -q -c "$LIBVIRT_E2E_URI" destroy "$name" >/dev/null 2>&1
  virsh -q -c "$LIBVIRT_E2E_URI" undefine "$name" >/dev/null 2>&1
}
