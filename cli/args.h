// Command-line parsing: kubectl-style flags, allowed before or after the
// verb.
#ifndef ONVM_CLI_ARGS_H_
#define ONVM_CLI_ARGS_H_

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace onvm::cli {

struct Invocation {
  std::string verb;                   // Empty when none was given.
  std::vector<std::string> args;      // Positional arguments after the verb.
  std::optional<std::string> server;  // -s, --server
  // Connection flags (cli/connection.h), global like --server.
  std::optional<std::string> tls_ca;      // --tls-ca
  std::optional<std::string> tls_cert;    // --tls-cert
  std::optional<std::string> tls_key;     // --tls-key
  std::optional<std::string> token_file;  // --token-file
  std::string output;                     // -o, --output
  std::vector<std::string> files;         // -f, --filename (repeatable)
  bool help = false;                      // -h, --help
  bool ignore_not_found = false;          // --ignore-not-found
  std::optional<std::string> replicas;    // --replicas (scale), unparsed
  bool wait = false;                      // --wait (scale)
  std::optional<std::string> timeout;     // --timeout (scale), unparsed
  std::optional<std::string> interval;    // --interval (top), unparsed
  std::optional<std::string> dry_run;     // --dry-run (apply, delete), unparsed
  bool prune = false;                     // --prune (apply)
  bool watch = false;                     // -w, --watch (get, events)
  // Long names of the flags given, so a verb can refuse ones it does not
  // take instead of silently ignoring them.
  std::set<std::string> flags_seen;
};

// A flag onvmctl knows, for help and shell completion.
struct FlagInfo {
  std::string name;  // Long name, without dashes.
  char shorthand;    // 0 when there is none.
  bool takes_value;
};
std::vector<FlagInfo> KnownFlags();

// Parses argv without the program name. Accepts `--flag value`,
// `--flag=value`, `-o value`, `-ovalue` and `-o=value`; `--` ends the flags.
// Errors are usage errors.
absl::StatusOr<Invocation> ParseArgs(const std::vector<std::string>& argv);

// Fails when `invocation` carries a flag that `verb` does not take, other
// than the global ones (--server, the connection flags, --help).
absl::Status CheckFlags(const Invocation& invocation, const std::set<std::string>& allowed);

}  // namespace onvm::cli

#endif  // ONVM_CLI_ARGS_H_
