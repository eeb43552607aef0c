# bash completion for copyscope: subcommands, options, and the method names
# that `copyscope list` prints (so a new method needs no edit here).
_copyscope_methods() {
  copyscope list 2>/dev/null | awk 'NF && $1 ~ /^[a-z_0-9]+$/ { print $1 }'
}

_copyscope() {
  local cur prev sub i
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  sub=
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      list|run|compare|bench|gui|replay) sub=${COMP_WORDS[i]}; break ;;
    esac
  done
  case $prev in
    --cache) COMPREPLY=($(compgen -W "cold warm" -- "$cur")); return ;;
    --sink) COMPREPLY=($(compgen -W "tcp file pipe null" -- "$cur")); return ;;
    --lang) COMPREPLY=($(compgen -W "en zh" -- "$cur")); return ;;
    --theme) COMPREPLY=($(compgen -W "light dark" -- "$cur")); return ;;
    --panel) COMPREPLY=($(compgen -W "datapath plots timeline compare export" -- "$cur")); return ;;
    --trace|--csv|--report|--replay|--screenshot) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --size|--buffer|--timeout|--max-events|--width|--height|--frames|--at|--synthetic) return ;;
    --run) COMPREPLY=($(compgen -W "$(_copyscope_methods)" -- "$cur")); return ;;
  esac
  local common="--size --buffer --cache --sink --timeout --max-events --json --trace --csv --report --help"
  case $sub in
    "") COMPREPLY=($(compgen -W "list run compare bench gui replay --help" -- "$cur")) ;;
    list) COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
    run|compare)
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$common $([[ $sub == compare ]] && echo --all)" -- "$cur"))
      else
        COMPREPLY=($(compgen -W "$(_copyscope_methods)" -- "$cur"))
      fi ;;
    replay)
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--json --trace --csv --report --help" -- "$cur"))
      else
        COMPREPLY=($(compgen -f -- "$cur"))
      fi ;;
    gui) COMPREPLY=($(compgen -W "--replay --run --size --buffer --cache --sink --panel --screenshot --at --lang --theme --classroom --width --height --help" -- "$cur")) ;;
    bench) COMPREPLY=($(compgen -W "overhead soak pipeline gui load --help" -- "$cur")) ;;
  esac
}
complete -F _copyscope copyscope
