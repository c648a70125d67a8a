// absl::Status to grpc::Status; the codes share their numbering.
#ifndef ONVM_AGENT_GRPC_STATUS_H_
#define ONVM_AGENT_GRPC_STATUS_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace onvm::agent {

// Messages travel in a trailer, which gRPC clients refuse beyond a few KiB
// (the call would then fail with an unrelated error): a message that quotes
// too much of a request is cut.
inline constexpr size_t kMaxStatusMessageBytes = 2048;

inline grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  std::string message(status.message());
  if (message.size() > kMaxStatusMessageBytes) {
    message.resize(kMaxStatusMessageBytes);
    // Not in the middle of a UTF-8 sequence.
    while (!message.empty() && (static_cast<unsigned char>(message.back()) & 0xc0) == 0x80) {
      message.pop_back();
    }
    if (!message.empty() && (static_cast<unsigned char>(message.back()) & 0x80) != 0) {
      message.pop_back();
    }
    message += "... (cut)";
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::move(message));
}

}  // namespace onvm::agent

#endif  // ONVM_AGENT_GRPC_STATUS_H_
