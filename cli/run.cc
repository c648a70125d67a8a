#include "cli/run.h"

#include "absl/strings/str_cat.h"
#include "cli/args.h"
#include "cli/session.h"
#include "cli/verbs.h"

namespace onvm::cli {

int RunCli(const std::vector<std::string>& args, const Environment& env) {
  absl::StatusOr<Invocation> invocation = ParseArgs(args);
  Session session(
      ResolveServer(invocation.ok() ? invocation->server : std::nullopt, env.onvm_server), *env.in,
      *env.out, *env.err, env.connect_timeout);
  session.set_terminal(env.out_is_tty, env.top_max_refreshes);
  if (!invocation.ok()) return session.UsageError(invocation.status().message());
  if (invocation->help || invocation->verb == "help") {
    session.out() << UsageText();
    return kExitOk;
  }
  const std::string& verb = invocation->verb;
  if (verb.empty()) {
    session.err() << UsageText();
    return kExitUsage;
  }
  if (verb == "get") return RunGet(*invocation, session);
  if (verb == "apply") return RunApply(*invocation, session);
  if (verb == "delete") return RunDelete(*invocation, session);
  if (verb == "describe") return RunDescribe(*invocation, session);
  if (verb == "scale") return RunScale(*invocation, session);
  if (verb == "top") return RunTop(*invocation, session);
  if (verb == "version") return RunVersion(*invocation, session);
  if (verb == "completion") return RunCompletion(*invocation, session);
  return session.UsageError(absl::StrCat("unknown command \"", verb, "\""));
}

}  // namespace onvm::cli
