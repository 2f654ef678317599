#!/usr/bin/env bash
# The zsh completion (made by CMake from contrib/completion/ptagent.bash) in a real zsh: compinit
# finds it in fpath as _ptagent, loading it registers ptagent with bashcompinit's _bash_complete,
# and compgen -F _ptagent (what _bash_complete runs, in sh emulation) gives, once matched against
# the word's prefix as zsh does, the words the bash completion gives on a simulated host.
# Usage: zsh_completion.sh PTAGENT ZSH_COMPLETION SOURCE_DIR
set -uo pipefail
ptagent=$1
completion=$2
src=$3
if ! command -v zsh >/dev/null; then
  echo "zsh is not installed (contrib/install-deps.sh installs it)"
  exit 1
fi
host=$src/tests/fixtures/hosts/workstation
fpath_dir=$(mktemp -d /tmp/ptagent-zsh-XXXXXX)
trap 'rm -rf "$fpath_dir"' EXIT
cp "$completion" "$fpath_dir/_ptagent"
# shellcheck disable=SC2016 # zsh code, expanded by zsh
ZDOTDIR=$fpath_dir zsh -f -c '
  fpath=("$1" $fpath)
  autoload -Uz compinit && compinit -u -d "$1/.zcompdump"
  fail=0
  if [[ $_comps[ptagent] != _ptagent ]]; then
    print -r -- "FAIL: compinit does not map ptagent to _ptagent (${_comps[ptagent]:-nothing})"
    exit 1
  fi
  print "PASS: compinit maps ptagent to _ptagent"
  autoload -Uz +X _ptagent  # load the file as the completion system does, outside a widget
  _ptagent
  if [[ $_comps[ptagent] == "_bash_complete -F _ptagent" ]]; then
    print "PASS: loading it registers the bash function"
  else
    print -r -- "FAIL: after loading, ptagent completes with ${_comps[ptagent]:-nothing}"
    fail=1
  fi
  ptagent=$2 host=$3
  expect() {  # WANTED WORDS… (the last word is the one completed)
    local want=$1
    shift
    local -a COMP_WORDS COMPREPLY
    local COMP_CWORD
    COMP_WORDS=("$@")
    COMP_CWORD=$(( $# - 1 ))
    local cur=${@[-1]}
    local -a res
    res=(${(f)"$(compgen -F _ptagent -- "$cur")"})
    res=(${(M)res:#${(b)cur}*})  # zsh matches the words against the prefix (compadd)
    local got=" ${(j: :)res} "
    if [[ $got == *" $want "* ]]; then
      print -r -- "PASS: ${*[2,-1]} -> $want"
    else
      print -r -- "FAIL: ${*[2,-1]} -> wanted $want, got:$got"
      fail=1
    fi
  }
  expect show "$ptagent" ""
  expect setup "$ptagent" se
  expect 0000:01:00.1 "$ptagent" --root "$host" show 0000:01
  expect 0000:02:00.0 "$ptagent" bind --root "$host" 0000:01:00.0 ""
  expect i915-GVTg_V5_8 "$ptagent" --root "$host" mdev create 0000:00:02.0 ""
  expect --group "$ptagent" --root "$host" bind --g
  expect --json "$ptagent" list --j
  expect uninstall "$ptagent" hook un
  COMP_WORDS=("$ptagent" --root "$host" show 0000:01:00.0 "")
  COMP_CWORD=5
  if [[ -n $(compgen -F _ptagent -- "") ]]; then
    print "FAIL: show takes one DEVICE, completed: $(compgen -F _ptagent -- "")"
    fail=1
  else
    print "PASS: show DEVICE completes nothing more"
  fi
  exit $fail
' zsh "$fpath_dir" "$ptagent" "$host"
