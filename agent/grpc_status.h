// absl::Status to grpc::Status; the codes share their numbering.
#ifndef ONVM_AGENT_GRPC_STATUS_H_
#define ONVM_AGENT_GRPC_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace onvm::agent {

inline grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace onvm::agent

#endif  // ONVM_AGENT_GRPC_STATUS_H_
