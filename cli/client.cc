#include "cli/client.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace onvm::cli {

std::string ResolveServer(const std::optional<std::string>& flag, const char* env) {
  if (flag.has_value()) return *flag;
  if (env != nullptr && env[0] != '\0') return env;
  return std::string(kDefaultServer);
}

absl::string_view ReasonFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "Cancelled";
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return "BadRequest";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "Timeout";
    case grpc::StatusCode::NOT_FOUND:
      return "NotFound";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "AlreadyExists";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "Forbidden";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "Unauthorized";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "ResourceExhausted";
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ABORTED:
      return "Conflict";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "NotImplemented";
    case grpc::StatusCode::UNAVAILABLE:
      return "ServiceUnavailable";
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::DATA_LOSS:
    default:
      return "InternalError";
  }
}

std::string ServerErrorLine(const grpc::Status& status) {
  return absl::StrCat("Error from server (", ReasonFor(status.error_code()),
                      "): ", status.error_message());
}

std::string UnreachableLine(absl::string_view server) {
  return absl::StrCat("onvmctl: cannot reach the onvm agent at ", server,
                      " (is onvm-agent running? check --server or ONVM_SERVER)");
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(const std::string& server,
                                                       absl::Duration timeout) {
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(server, grpc::InsecureChannelCredentials());
  const auto deadline = absl::ToChronoTime(absl::Now() + timeout);
  grpc_connectivity_state state = channel->GetState(/*try_to_connect=*/true);
  while (state != GRPC_CHANNEL_READY) {
    // A refused connection shows up as TRANSIENT_FAILURE at once; waiting
    // for gRPC's reconnect backoff would only delay the same answer.
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) {
      return absl::UnavailableError(absl::StrCat("cannot connect to ", server));
    }
    if (!channel->WaitForStateChange(state, deadline)) {
      return absl::UnavailableError(absl::StrCat("timed out connecting to ", server));
    }
    state = channel->GetState(/*try_to_connect=*/true);
  }
  return channel;
}

std::unique_ptr<grpc::ClientContext> NewCallContext(absl::Duration timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

}  // namespace onvm::cli
