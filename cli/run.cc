#include "cli/run.h"

#include "absl/strings/str_cat.h"
#include "cli/args.h"
#include "cli/connection.h"
#include "cli/session.h"
#include "cli/verbs.h"

namespace onvm::cli {

namespace {

// Reads the TLS files and the token before any verb runs, so that a bad one
// is reported as what it is (exit 1; 2 for flags that do not go together)
// rather than as an unreachable agent.
int SetUpConnection(const Invocation& invocation, const Environment& env, Session& session) {
  ConnectionFlags flags;
  flags.server = session.server();
  flags.tls_ca = FlagOrEnv(invocation.tls_ca, env.onvm_tls_ca);
  flags.tls_cert = FlagOrEnv(invocation.tls_cert, env.onvm_tls_cert);
  flags.tls_key = FlagOrEnv(invocation.tls_key, env.onvm_tls_key);
  flags.token_file = FlagOrEnv(invocation.token_file, env.onvm_token_file);
  absl::StatusOr<Connection> connection = LoadConnection(flags);
  if (!connection.ok()) {
    return connection.status().code() == absl::StatusCode::kInvalidArgument
               ? session.UsageError(connection.status().message())
               : session.Error(connection.status().message());
  }
  session.set_connection(*std::move(connection));
  return kExitOk;
}

}  // namespace

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
  if (const int code = SetUpConnection(*invocation, env, session); code != kExitOk) return code;
  if (verb == "get") return RunGet(*invocation, session);
  if (verb == "apply") return RunApply(*invocation, session);
  if (verb == "delete") return RunDelete(*invocation, session);
  if (verb == "describe") return RunDescribe(*invocation, session);
  if (verb == "scale") return RunScale(*invocation, session);
  if (verb == "top") return RunTop(*invocation, session);
  if (verb == "events") return RunEvents(*invocation, session);
  if (verb == "version") return RunVersion(*invocation, session);
  if (verb == "completion") return RunCompletion(*invocation, session);
  return session.UsageError(absl::StrCat("unknown command \"", verb, "\""));
}

}  // namespace onvm::cli
