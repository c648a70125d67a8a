#include "agent/request_cache.h"

#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace onvm::agent {
namespace {

constexpr size_t kMaxRequestIdLength = 64;

// These leave the state as it was and may well pass on a retry, which is
// what the client retries for.
bool Remembered(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
      return false;
    default:
      return true;
  }
}

bool IdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

absl::Status ValidateRequestId(absl::string_view id) {
  if (id.empty()) return absl::OkStatus();
  if (id.size() > kMaxRequestIdLength) {
    return absl::InvalidArgumentError(absl::StrCat("request_id: ", id.size(),
                                                   " characters, more than the limit of ",
                                                   kMaxRequestIdLength, " (use a UUID)"));
  }
  for (char c : id) {
    if (!IdChar(c)) {
      return absl::InvalidArgumentError(
          "request_id: may hold only letters, digits, '-' and '_' (use a UUID)");
    }
  }
  return absl::OkStatus();
}

std::string DeterministicBytes(const google::protobuf::Message& message) {
  // Deterministic, so that map fields (launch env) serialize the same way
  // every time.
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&out);
  }
  return bytes;
}

uint64_t RequestFingerprint(const google::protobuf::Message& request) {
  return absl::HashOf(request.GetDescriptor()->full_name(), DeterministicBytes(request));
}

grpc::Status RequestCache::Run(const std::string& id, uint64_t fingerprint,
                               google::protobuf::Message* response,
                               absl::FunctionRef<grpc::Status()> run) {
  std::shared_ptr<Entry> mine;
  {
    absl::MutexLock lock(&mu_);
    while (mine == nullptr) {
      Trim();
      auto it = by_id_.find(id);
      if (it == by_id_.end()) {
        mine = std::make_shared<Entry>();
        mine->id = id;
        mine->fingerprint = fingerprint;
        mine->created = now_();
        by_id_.emplace(id, mine);
        order_.push_back(mine);
        break;
      }
      std::shared_ptr<Entry> first = it->second;
      if (first->fingerprint != fingerprint) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            absl::StrCat("request_id \"", id,
                                         "\": already used by a different request; a new "
                                         "request needs a new request_id"));
      }
      // A retry that overtook the first call waits for its result.
      mu_.Await(absl::Condition(&first->done));
      if (first->dropped) continue;  // the first call is forgotten: run again
      if (!response->ParseFromString(first->response)) {
        return grpc::Status(grpc::StatusCode::INTERNAL,
                            "request_id: stored response is unreadable");
      }
      return first->status;
    }
  }

  grpc::Status status = run();

  absl::MutexLock lock(&mu_);
  mine->done = true;
  mine->status = status;
  if (!Remembered(status.error_code())) {
    mine->dropped = true;
    Forget(mine);
    return status;
  }
  if (status.ok()) mine->response = response->SerializeAsString();
  // Forget() may already have run for `mine` (trimmed while running).
  if (auto it = by_id_.find(id); it != by_id_.end() && it->second == mine) {
    bytes_ += mine->response.size();
  }
  Trim();
  return status;
}

size_t RequestCache::size() const {
  absl::MutexLock lock(&mu_);
  return by_id_.size();
}

void RequestCache::Forget(const std::shared_ptr<Entry>& entry) {
  auto it = by_id_.find(entry->id);
  if (it == by_id_.end() || it->second != entry) return;
  bytes_ -= entry->response.size();
  by_id_.erase(it);
}

void RequestCache::Trim() {
  const absl::Time oldest_kept = now_() - limits_.ttl;
  while (!order_.empty()) {
    const std::shared_ptr<Entry>& front = order_.front();
    auto it = by_id_.find(front->id);
    const bool current = it != by_id_.end() && it->second == front;
    // A running call keeps its entry: a retry must find it and wait.
    const bool over = by_id_.size() > limits_.max_entries || bytes_ > limits_.max_bytes ||
                      front->created < oldest_kept;
    if (current && (!over || !front->done)) break;
    if (current) Forget(front);
    order_.pop_front();
  }
}

}  // namespace onvm::agent
