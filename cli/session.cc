#include "cli/session.h"

namespace onvm::cli {

std::shared_ptr<grpc::Channel> Session::Channel() {
  if (channel_ != nullptr || unreachable_) return channel_;
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = Connect(connection_, connect_timeout_);
  if (!channel.ok()) {
    unreachable_ = true;
    err_ << UnreachableLine(connection_) << "\n";
    return nullptr;
  }
  channel_ = *std::move(channel);
  return channel_;
}

int Session::ServerError(const grpc::Status& status) {
  err_ << ServerErrorLine(status) << "\n";
  return kExitError;
}

int Session::Error(absl::string_view message) {
  err_ << "error: " << message << "\n";
  return kExitError;
}

int Session::UsageError(absl::string_view message) {
  err_ << "error: " << message << "\nSee 'onvmctl --help' for usage.\n";
  return kExitUsage;
}

}  // namespace onvm::cli
