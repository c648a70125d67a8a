#include "cli/client.h"

#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
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

std::string UnreachableTlsLine(absl::string_view server, bool client_certificate) {
  return absl::StrCat(
      "onvmctl: cannot reach the onvm agent at ", server,
      " over TLS (is onvm-agent running there with TLS? check --server, --tls-ca and that the "
      "agent's certificate names that host",
      client_certificate ? "; and that the agent trusts --tls-cert" : "",
      "; an agent requiring client certificates also needs --tls-cert and --tls-key)");
}

std::string UnreachableLine(const Connection& connection) {
  if (!connection.tls) return UnreachableLine(connection.server);
  return UnreachableTlsLine(connection.server, !connection.cert_pem.empty());
}

namespace {

// Waits until `channel` to `server` is connected.
absl::Status WaitConnected(grpc::Channel& channel, const std::string& server,
                           std::chrono::system_clock::time_point deadline) {
  grpc_connectivity_state state = channel.GetState(/*try_to_connect=*/true);
  while (state != GRPC_CHANNEL_READY) {
    // A refused connection shows up as TRANSIENT_FAILURE at once; waiting
    // for gRPC's reconnect backoff would only delay the same answer.
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) {
      return absl::UnavailableError(absl::StrCat("cannot connect to ", server));
    }
    if (!channel.WaitForStateChange(state, deadline)) {
      return absl::UnavailableError(absl::StrCat("timed out connecting to ", server));
    }
    state = channel.GetState(/*try_to_connect=*/true);
  }
  return absl::OkStatus();
}

// One grpc.health.v1 Check call. Any answer but UNAVAILABLE or a timeout
// (UNIMPLEMENTED from a server without the health service, too) means
// the server accepted the connection.
absl::Status Probe(const std::shared_ptr<grpc::Channel>& channel, const std::string& server,
                   std::chrono::system_clock::time_point deadline) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(deadline);
  grpc::Slice empty;  // an empty HealthCheckRequest: the server as a whole
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
      stub.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check", request, &cq);
  call->StartCall();
  call->Finish(&response, &status, &status);
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::UnavailableError(
        absl::StrCat("connection to ", server, " refused: ", status.error_message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(const Connection& connection,
                                                       absl::Duration timeout) {
  std::shared_ptr<grpc::Channel> channel = MakeChannel(connection);
  const auto deadline = absl::ToChronoTime(absl::Now() + timeout);
  if (absl::Status s = WaitConnected(*channel, connection.server, deadline); !s.ok()) return s;
  if (connection.tls) {
    if (absl::Status s = Probe(channel, connection.server, deadline); !s.ok()) return s;
  }
  return channel;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(const std::string& server,
                                                       absl::Duration timeout) {
  Connection connection;
  connection.server = server;
  return Connect(connection, timeout);
}

std::unique_ptr<grpc::ClientContext> NewCallContext(absl::Duration timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

}  // namespace onvm::cli
