// Background loop that keeps the engine running the desired state: it
// reconnects to the engine, refreshes the cached engine state and pushes the
// desired state whenever the engine lacks it (restart, missed push).
#ifndef ONVM_AGENT_RECONCILER_H_
#define ONVM_AGENT_RECONCILER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/engine_link.h"
#include "agent/state_store.h"

namespace onvm::agent {

class Reconciler {
 public:
  static constexpr absl::Duration kInterval = absl::Milliseconds(500);
  // After the engine refuses a state, the same state is offered again only
  // this often, so a standing refusal does not flood engine and log.
  static constexpr absl::Duration kRefusalBackoff = absl::Seconds(5);

  // After each pass: whether the engine is connected and runs the desired
  // state (for the health service).
  using PassObserver = std::function<void(bool engine_connected, bool reconciled)>;

  // `link` and `store` must outlive the reconciler.
  Reconciler(EngineLink* link, StateStore* store, PassObserver on_pass = nullptr);
  ~Reconciler();

  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  void Start();
  // Returns once the loop has exited; safe to call more than once.
  void Stop();

  // One pass of the loop (exposed for tests).
  void Tick();

 private:
  void Run();
  void Pass();
  void Sync(const AgentState& desired);

  EngineLink* const link_;
  StateStore* const store_;
  const PassObserver on_pass_;
  std::thread thread_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Last refusal, for kRefusalBackoff. Only touched by Tick().
  std::string refused_boot_id_;
  uint64_t refused_generation_ = 0;
  absl::Time refused_at_ = absl::InfinitePast();
};

}  // namespace onvm::agent

#endif  // ONVM_AGENT_RECONCILER_H_
