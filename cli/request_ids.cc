#include "cli/request_ids.h"

#include <cstdint>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/client.h"

namespace onvm::cli {

RequestIds::RequestIds() {
  std::random_device device;
  std::mt19937_64 random((static_cast<uint64_t>(device()) << 32) ^ device());
  uint64_t hi = random();
  uint64_t lo = random();
  hi = (hi & ~0xf000ull) | 0x4000ull;            // version 4
  lo = (lo & ~(0x3ull << 62)) | (0x2ull << 62);  // RFC 4122 variant
  base_ = absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff,
                          lo >> 48, lo & 0xffffffffffffull);
}

std::string RequestIds::Next() { return absl::StrCat(base_, "-", ++next_); }

grpc::Status CallWithRetry(const std::function<grpc::Status(grpc::ClientContext*)>& call,
                           int attempts) {
  absl::Duration delay = kFirstRetryDelay;
  grpc::Status status;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    status = call(NewCallContext().get());
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return status;
    if (attempt < attempts) {
      absl::SleepFor(delay);
      delay *= 2;
    }
  }
  return status;
}

}  // namespace onvm::cli
