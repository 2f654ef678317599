#!/bin/bash
# Runs the scenarios in order, each in its own bash with a bound; 00-setup always runs.
# A scenario that times out or dies is one FAIL line; the next one still runs.
# On a later boot (PTVM_BOOT > 1) only the scenario that asked for the reboot runs, without
# 00-setup: it boots the host its own way (udev, modules-load.d), as the state it persisted says.
. "$PTVM_DIR/guest/lib.sh"
resume=
[ "${PTVM_BOOT:-1}" -gt 1 ] && resume=$(cat "$R/resume" 2>/dev/null)
for s in "$PTVM_DIR"/guest/[0-9][0-9]-*.sh; do
  name=$(basename "$s" .sh)
  if [ "${PTVM_BOOT:-1}" -gt 1 ]; then
    [ "$name" = "$resume" ] || continue
  else
    case $name in
    00-*) ;;
    *) if [ -n "$PTVM_ONLY" ]; then case $name in *$PTVM_ONLY*) ;; *) continue ;; esac; fi ;;
    esac
  fi
  bound=$(sed -n 's/^# bound: *\([0-9]*\).*/\1/p' "$s" | head -1)
  t0=$SECONDS
  echo "=== $name (boot ${PTVM_BOOT:-1}, bound ${bound:-300} s) ==="
  timeout -k 5 "${bound:-300}" bash -c '. "$PTVM_DIR/guest/lib.sh"; . "$1"' _ "$s"
  rc=$?
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    fail "$name" "the scenario did not finish within ${bound:-300} s"
  elif [ "$rc" -ne 0 ]; then
    fail "$name" "the scenario stopped with status $rc (see the console log)"
  fi
  dmesg >"$R/dmesg.txt" 2>&1
  info "time $name (boot ${PTVM_BOOT:-1}) $((SECONDS - t0)) s"
  if [ "$PTVM_SHELL" = 1 ]; then break; fi
done
