// Idempotency keys for the mutating calls of one onvmctl run, and the
// retry that makes them worth having: a call retried after UNAVAILABLE
// carries the same request_id, so the agent applies it at most once even
// when the first attempt got through and only its answer was lost.
#ifndef ONVM_CLI_REQUEST_IDS_H_
#define ONVM_CLI_REQUEST_IDS_H_

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace onvm::cli {

class RequestIds {
 public:
  // A random UUID (version 4) for this run.
  RequestIds();
  // "<uuid>-<n>": a new id for each request of the run (the agent refuses
  // one id for two different requests).
  std::string Next();
  const std::string& base() const { return base_; }

 private:
  std::string base_;
  int next_ = 0;
};

inline constexpr int kMutationAttempts = 3;
inline constexpr absl::Duration kFirstRetryDelay = absl::Milliseconds(200);

// Runs `call`, each time on a fresh NewCallContext(), until it answers
// something other than UNAVAILABLE or `attempts` tries are spent, waiting
// kFirstRetryDelay (doubling) between tries. Only for calls that are safe
// to repeat: reads, and mutations carrying a request_id.
grpc::Status CallWithRetry(const std::function<grpc::Status(grpc::ClientContext*)>& call,
                           int attempts = kMutationAttempts);

}  // namespace onvm::cli

#endif  // ONVM_CLI_REQUEST_IDS_H_
