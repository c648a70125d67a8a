// `onvmctl completion bash|zsh`: shell completion scripts for the verbs,
// kinds (all their names), flags, and resource names (from the agent).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "cli/kinds.h"
#include "cli/verbs.h"

namespace onvm::cli {
namespace {

constexpr char kVerbs[] = "get describe apply delete scale top events version completion help";

// The bash function; @KINDS@, @FLAGS@ and @VALUE_FLAGS@ are filled in.
constexpr char kBashTemplate[] = R"BASH(# bash completion for onvmctl. Load it with
#   source <(onvmctl completion bash)
_onvmctl() {
  local cur prev
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev=""
  if (( COMP_CWORD > 0 )); then prev="${COMP_WORDS[COMP_CWORD-1]}"; fi
  local verbs="@VERBS@"
  local kinds="@KINDS@"
  local flags="@FLAGS@"

  case "$prev" in
    -o|--output)
      COMPREPLY=( $(compgen -W "wide json yaml name" -- "$cur") )
      return 0 ;;
    -f|--filename)
      COMPREPLY=( $(compgen -f -- "$cur") )
      return 0 ;;
    @VALUE_FLAGS@)
      COMPREPLY=()
      return 0 ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$flags" -- "$cur") )
    return 0
  fi

  # The verb is the first word that is neither a flag nor a flag's value.
  local i word verb="" kind="" nargs=0 server=()
  for (( i = 1; i < COMP_CWORD; i++ )); do
    word="${COMP_WORDS[i]}"
    case "$word" in
      -s|--server)
        server=(--server "${COMP_WORDS[i+1]}")
        i=$((i + 1)) ;;
      @VALUE_FLAGS@|-o|--output|-f|--filename)
        i=$((i + 1)) ;;
      -*) ;;
      *)
        if [[ -z "$verb" ]]; then
          verb="$word"
        else
          if (( nargs == 0 )); then kind="$word"; fi
          nargs=$((nargs + 1))
        fi ;;
    esac
  done

  case "$verb" in
    "")
      COMPREPLY=( $(compgen -W "$verbs" -- "$cur") ) ;;
    get|describe|delete)
      if (( nargs == 0 )); then
        COMPREPLY=( $(compgen -W "$kinds" -- "$cur") )
      else
        local names
        names="$(onvmctl "${server[@]}" get "$kind" -o name 2>/dev/null | sed 's|^[^/]*/||')"
        COMPREPLY=( $(compgen -W "$names" -- "$cur") )
      fi ;;
    scale)
      if (( nargs == 0 )); then
        COMPREPLY=( $(compgen -W "service services svc" -- "$cur") )
      elif (( nargs == 1 )); then
        local names
        names="$(onvmctl "${server[@]}" get services -o name 2>/dev/null | sed 's|^[^/]*/||')"
        COMPREPLY=( $(compgen -W "$names" -- "$cur") )
      fi ;;
    completion)
      if (( nargs == 0 )); then COMPREPLY=( $(compgen -W "bash zsh" -- "$cur") ); fi ;;
    *)
      COMPREPLY=() ;;
  esac
  return 0
}
complete -F _onvmctl onvmctl
)BASH";

std::string BashScript() {
  std::vector<std::string> flags;
  std::vector<std::string> value_flags;
  for (const FlagInfo& flag : KnownFlags()) {
    flags.push_back(absl::StrCat("--", flag.name));
    if (flag.shorthand != 0) flags.push_back(absl::StrCat("-", std::string(1, flag.shorthand)));
    if (flag.takes_value && flag.name != "output" && flag.name != "filename" &&
        flag.name != "server") {
      value_flags.push_back(absl::StrCat("--", flag.name));
    }
  }
  value_flags.push_back("-s");
  value_flags.push_back("--server");
  return absl::StrReplaceAll(kBashTemplate, {{"@VERBS@", kVerbs},
                                             {"@KINDS@", absl::StrJoin(AllKindWords(), " ")},
                                             {"@FLAGS@", absl::StrJoin(flags, " ")},
                                             {"@VALUE_FLAGS@", absl::StrJoin(value_flags, "|")}});
}

}  // namespace

std::string CompletionScript(const std::string& shell) {
  if (shell == "bash") return BashScript();
  if (shell == "zsh") {
    // zsh runs the bash function through its bash-completion emulation.
    return absl::StrCat(
        "#compdef onvmctl\n"
        "# zsh completion for onvmctl. Load it with\n"
        "#   source <(onvmctl completion zsh)\n"
        "autoload -U +X compinit && compinit\n"
        "autoload -U +X bashcompinit && bashcompinit\n",
        BashScript());
  }
  return "";
}

int RunCompletion(const Invocation& invocation, Session& session) {
  if (absl::Status status = CheckFlags(invocation, {}); !status.ok()) {
    return session.UsageError(status.message());
  }
  if (invocation.args.size() != 1) {
    return session.UsageError("completion needs exactly one shell: completion bash|zsh");
  }
  const std::string script = CompletionScript(invocation.args.front());
  if (script.empty()) {
    return session.UsageError(
        absl::StrCat("unsupported shell \"", invocation.args.front(), "\" (want bash or zsh)"));
  }
  session.out() << script;
  return kExitOk;
}

}  // namespace onvm::cli
