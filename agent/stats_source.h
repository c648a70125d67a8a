// The engine's current stats segment, re-opened when the engine restarts.
#ifndef ONVM_AGENT_STATS_SOURCE_H_
#define ONVM_AGENT_STATS_SOURCE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "onvm/names.h"
#include "onvm/stats_reader.h"

namespace onvm::agent {

class StatsSource {
 public:
  explicit StatsSource(EnginePaths paths) : paths_(std::move(paths)) {}

  // The reader of the segment the engine publishes now, or nullptr when
  // there is none. Shared so that a reader stays mapped while in use even
  // if another thread re-opens meanwhile.
  std::shared_ptr<const StatsReader> Get();

 private:
  const EnginePaths paths_;
  absl::Mutex mu_;
  std::shared_ptr<const StatsReader> reader_ ABSL_GUARDED_BY(mu_);
  std::string last_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace onvm::agent

#endif  // ONVM_AGENT_STATS_SOURCE_H_
