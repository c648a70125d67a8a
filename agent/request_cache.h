// Idempotency keys (request_id) of mutating calls: a retry of a call that
// already ran gets the first call's result instead of running again. Kept in
// memory only and bounded: the last kMaxEntries ids, none older than kTtl,
// at most kMaxBytes of stored responses.
#ifndef ONVM_AGENT_REQUEST_CACHE_H_
#define ONVM_AGENT_REQUEST_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/status.h"

namespace onvm::agent {

// INVALID_ARGUMENT naming request_id unless `id` is empty (no key) or 1 to
// 64 characters of [A-Za-z0-9_-].
absl::Status ValidateRequestId(absl::string_view id);

// What identifies "the same request": the method and every field but
// request_id. `request` must already have request_id cleared.
uint64_t RequestFingerprint(const google::protobuf::Message& request);
// `message` serialized with map entries in key order: the same bytes for
// the same message, in any process.
std::string DeterministicBytes(const google::protobuf::Message& message);

class RequestCache {
 public:
  struct Limits {
    size_t max_entries = 1024;
    absl::Duration ttl = absl::Minutes(10);
    // Responses are small (a resource, apply outcomes), but an apply of
    // thousands of resources is not: bound the memory too.
    size_t max_bytes = 16u << 20;
  };

  RequestCache() : RequestCache(Limits{}) {}
  explicit RequestCache(Limits limits, std::function<absl::Time()> now = absl::Now)
      : limits_(limits), now_(std::move(now)) {}

  RequestCache(const RequestCache&) = delete;
  RequestCache& operator=(const RequestCache&) = delete;

  // With a new `id`: runs `run` (which fills `response`) and remembers its
  // result under `id` and `fingerprint`. With a remembered `id` and the same
  // fingerprint: fills `response` from the first call and returns its
  // status without running; if the first call is still running, waits for
  // it. With a remembered id and another fingerprint: INVALID_ARGUMENT
  // naming request_id. Results that changed nothing and may differ on a
  // retry (UNAVAILABLE and the like) are forgotten, so the retry runs.
  grpc::Status Run(const std::string& id, uint64_t fingerprint, google::protobuf::Message* response,
                   absl::FunctionRef<grpc::Status()> run);

  size_t size() const;

 private:
  struct Entry {
    std::string id;
    uint64_t fingerprint = 0;
    absl::Time created;
    bool done = false;
    // done, but not remembered: a waiting retry runs the call itself.
    bool dropped = false;
    grpc::Status status;
    std::string response;
  };

  // Forgets the oldest entries while over a limit, and expired ones.
  void Trim() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Forget(const std::shared_ptr<Entry>& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Limits limits_;
  const std::function<absl::Time()> now_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Entry>> by_id_ ABSL_GUARDED_BY(mu_);
  // Oldest first; may hold entries already forgotten (by_id_ decides).
  std::deque<std::shared_ptr<Entry>> order_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

// request_id of a mutating call: runs `run` at most once per id (see
// RequestCache::Run). Checks the id first, so that a bad one is refused
// before anything else.
template <typename Request>
grpc::Status RunOnce(RequestCache& cache, const Request& request,
                     google::protobuf::Message* response, absl::FunctionRef<grpc::Status()> run) {
  if (absl::Status s = ValidateRequestId(request.request_id()); !s.ok()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(s.message()));
  }
  if (request.request_id().empty()) return run();
  Request body = request;
  body.clear_request_id();
  return cache.Run(request.request_id(), RequestFingerprint(body), response, run);
}

}  // namespace onvm::agent

#endif  // ONVM_AGENT_REQUEST_CACHE_H_
