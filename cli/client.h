// Reaching the onvm agent: where it is, connecting to it, and how gRPC
// failures become onvmctl's messages and exit codes.
#ifndef ONVM_CLI_CLIENT_H_
#define ONVM_CLI_CLIENT_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/connection.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace onvm::cli {

// onvmctl's exit codes; scripts rely on them.
enum ExitCode : int {
  kExitOk = 0,
  // The server rejected a request, or the CLI rejected its input (a bad
  // manifest, a missing file).
  kExitError = 1,
  // Unknown verb, kind or flag, or missing arguments.
  kExitUsage = 2,
  // No onvm-agent answered at the server address.
  kExitUnreachable = 3,
};

inline constexpr absl::string_view kDefaultServer = "127.0.0.1:50051";
inline constexpr absl::string_view kServerEnv = "ONVM_SERVER";

// How long to wait for the agent to accept the connection, and for each
// call to complete.
inline constexpr absl::Duration kConnectTimeout = absl::Seconds(3);
inline constexpr absl::Duration kCallTimeout = absl::Seconds(5);

// The agent address: `--server` if given, else $ONVM_SERVER if set and not
// empty, else 127.0.0.1:50051. `env` is the variable's value or null.
std::string ResolveServer(const std::optional<std::string>& flag, const char* env);

// The kubectl-style reason word for a gRPC code: "NotFound", "BadRequest".
absl::string_view ReasonFor(grpc::StatusCode code);

// "Error from server (NotFound): rule \"x\" not found".
std::string ServerErrorLine(const grpc::Status& status);

// The one line printed (with exit code 3) when nothing answers at `server`.
std::string UnreachableLine(absl::string_view server);
// The same over TLS, where the handshake may be what failed; says which
// flags to check.
std::string UnreachableTlsLine(absl::string_view server, bool client_certificate);
// The line for `connection`: one of the two above.
std::string UnreachableLine(const Connection& connection);

// Opens a plaintext channel to `server` (HOST:PORT or unix:/PATH) and waits
// until it is connected. Fails with UNAVAILABLE if the connection is
// refused or not made within `timeout`. Connecting first is what tells
// "no agent there" apart from an agent that answers UNAVAILABLE itself.
absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(const std::string& server,
                                                       absl::Duration timeout);

// The same with `connection`'s credentials and token. Over TLS it also makes
// one health-check call: with TLS 1.3 the channel is READY before the
// server has checked the client certificate, and a refused certificate
// must read as "cannot connect" too, not as an error from a verb.
absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(const Connection& connection,
                                                       absl::Duration timeout);

// A call context whose deadline is `timeout` from now.
std::unique_ptr<grpc::ClientContext> NewCallContext(absl::Duration timeout = kCallTimeout);

}  // namespace onvm::cli

#endif  // ONVM_CLI_CLIENT_H_
