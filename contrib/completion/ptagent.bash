# bash completion for ptagent (installed as /usr/share/bash-completion/completions/ptagent).
# Commands and options come from ptagent's own --help, so they never disagree with the binary;
# DEVICE from the host's PCI addresses (under --root DIR when the line has one), mdev parents,
# types and UUIDs from sysfs, the domains of attach/detach-from from libvirt when it answers.

# The host tree the line names (--root DIR, --root=DIR, $PTAGENT_ROOT), without a trailing /.
_ptagent_root() {
  local i root=${PTAGENT_ROOT:-}
  for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
    if [[ ${COMP_WORDS[i]} == --root && $((i + 1)) -lt ${#COMP_WORDS[@]} ]]; then
      if [[ ${COMP_WORDS[i + 1]} == = ]]; then
        root=${COMP_WORDS[i + 2]:-}
      else
        root=${COMP_WORDS[i + 1]}
      fi
    elif [[ ${COMP_WORDS[i]} == --root=* ]]; then
      root=${COMP_WORDS[i]#--root=}
    fi
  done
  root=${root%/}
  printf '%s' "${root/#\~/$HOME}"
}

_ptagent_connect() {
  local i
  for ((i = 1; i + 1 < ${#COMP_WORDS[@]}; i++)); do
    [[ ${COMP_WORDS[i]} == --connect ]] && printf '%s' "${COMP_WORDS[i + 1]}" && return
  done
  printf 'qemu:///system'
}

# Names in a directory, one a line (nothing when it is not there).
_ptagent_ls() {
  local d
  for d in "$1"/*; do
    [[ -e $d || -L $d ]] && printf '%s\n' "${d##*/}"
  done
}

_ptagent_devices() { _ptagent_ls "$(_ptagent_root)/sys/bus/pci/devices"; }
_ptagent_mdev_parents() { _ptagent_ls "$(_ptagent_root)/sys/class/mdev_bus"; }
_ptagent_mdev_uuids() { _ptagent_ls "$(_ptagent_root)/sys/bus/mdev/devices"; }
_ptagent_mdev_types() {  # [PARENT]
  local root p
  root=$(_ptagent_root)
  if [[ -n ${1:-} ]]; then
    _ptagent_ls "$root/sys/class/mdev_bus/$1/mdev_supported_types"
  else
    for p in $(_ptagent_mdev_parents); do
      _ptagent_ls "$root/sys/class/mdev_bus/$p/mdev_supported_types"
    done | sort -u
  fi
}
_ptagent_domains() {
  command -v virsh >/dev/null 2>&1 || return 0
  timeout 2 virsh -q -c "$(_ptagent_connect)" list --all --name 2>/dev/null | sed '/^$/d'
}

# The commands `ptagent --help` lists.
_ptagent_commands() {
  "$1" --help 2>/dev/null | awk '/^Commands:/ { f = 1; next } f && /^$/ { exit } f { print $1 }'
}

# The options of `ptagent WORDS… --help`, and the global ones.
_ptagent_options() {
  "$@" --help 2>/dev/null | grep -oE -- '(^|[ ,[])--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z0-9-]+' |
    sort -u
}

_ptagent() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]:-}
  local prog=${COMP_WORDS[0]} i w cmd="" verb="" root
  local -a args=()  # the words after the command that are not options or option values
  COMPREPLY=()
  # Options that take a value: the global ones, then those the command's help shows with "arg".
  local valued=" --root --connect "
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    if [[ $w == -* ]]; then
      [[ $valued == *" $w "* ]] && ((i++))
    elif [[ $w != = ]]; then
      cmd=$w
      break
    fi
  done
  if [[ -n $cmd ]]; then
    valued+="$("$prog" "$cmd" --help 2>/dev/null | grep -oE -- '--[a-z0-9-]+ arg' | cut -d' ' -f1 |
      tr '\n' ' ')"
    valued+=" --parent --type --uuid "  # mdev's and setup's verbs
  fi
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    if [[ $w == -* ]]; then
      [[ $valued == *" $w "* ]] && ((i++))
      continue
    fi
    [[ $w == = ]] && continue
    if [[ -z $cmd ]]; then
      cmd=$w
    else
      args+=("$w")
    fi
  done
  [[ ${#args[@]} -gt 0 ]] && verb=${args[0]}

  case $prev in
    --root | --hooks-dir | --simulated-root | --commands-path)
      COMPREPLY=($(compgen -d -- "$cur"))
      return
      ;;
    --binary)
      COMPREPLY=($(compgen -f -- "$cur"))
      return
      ;;
    --connect)
      COMPREPLY=($(compgen -W "qemu:///system qemu:///session test:///default" -- "$cur"))
      return
      ;;
    --class)
      COMPREPLY=($(compgen -W "gpu display audio multimedia net storage usb serial-bus bridge \
system memory communication input wireless crypto signal accelerator legacy other" -- "$cur"))
      return
      ;;
    --driver)
      COMPREPLY=($(compgen -W "vfio-pci" -- "$cur"))
      return
      ;;
    --parent)
      COMPREPLY=($(compgen -W "$(_ptagent_mdev_parents)" -- "$cur"))
      return
      ;;
    --type)
      COMPREPLY=($(compgen -W "$(_ptagent_mdev_types)" -- "$cur"))
      return
      ;;
    --uuid)
      [[ $cmd == mdev ]] && COMPREPLY=($(compgen -W "$(_ptagent_mdev_uuids)" -- "$cur"))
      return
      ;;
  esac
  [[ $valued == *" $prev "* ]] && return

  if [[ $cur == -* ]]; then
    local -a words=("$prog")
    [[ -n $cmd ]] && words+=("$cmd")
    [[ ( $cmd == mdev || $cmd == setup || $cmd == hook ) && -n $verb ]] && words+=("$verb")
    COMPREPLY=($(compgen -W "$( (_ptagent_options "${words[@]}"
      printf '%s\n' --root --json --connect --dry-run --help --version) | sort -u)" -- "$cur"))
    return
  fi
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "$(_ptagent_commands "$prog")" -- "$cur"))
    return
  fi
  local n=${#args[@]}  # positional arguments before the one completed
  case $cmd in
    show | probe | sriov | plan)
      ((n == 0)) && COMPREPLY=($(compgen -W "$(_ptagent_devices)" -- "$cur"))
      ;;
    bind | restore | detach | reattach | reset | gen-xml)
      COMPREPLY=($(compgen -W "$(_ptagent_devices)" -- "$cur"))
      ;;
    attach | detach-from)
      if ((n == 0)); then
        COMPREPLY=($(compgen -W "$(_ptagent_domains)" -- "$cur"))
      else
        COMPREPLY=($(compgen -W "$(_ptagent_devices)" -- "$cur"))
      fi
      ;;
    mdev)
      case $n:$verb in
        0:*) COMPREPLY=($(compgen -W "types list create remove" -- "$cur")) ;;
        1:types | 1:create) COMPREPLY=($(compgen -W "$(_ptagent_mdev_parents)" -- "$cur")) ;;
        2:create) COMPREPLY=($(compgen -W "$(_ptagent_mdev_types "${args[1]}")" -- "$cur")) ;;
        1:remove) COMPREPLY=($(compgen -W "$(_ptagent_mdev_uuids)" -- "$cur")) ;;
      esac
      ;;
    setup)
      case $n:$verb in
        0:*) COMPREPLY=($(compgen -W "iommu modules bind sriov mdev status revert" -- "$cur")) ;;
        *:bind | 1:sriov) COMPREPLY=($(compgen -W "$(_ptagent_devices)" -- "$cur")) ;;
        1:revert) COMPREPLY=($(compgen -W "iommu modules bind sriov mdev" -- "$cur")) ;;
      esac
      ;;
    hook)
      ((n == 0)) && COMPREPLY=($(compgen -W "install uninstall status config" -- "$cur"))
      ;;
  esac
}
complete -F _ptagent ptagent
