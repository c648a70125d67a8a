// An in-process stand-in for the engine's control socket: answers GetState
// and SetConfig, and records what the agent sent.
#ifndef ONVM_TEST_AGENT_FAKE_ENGINE_H_
#define ONVM_TEST_AGENT_FAKE_ENGINE_H_

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "onvm/engine/v1/control.pb.h"

namespace onvm::agent::testing {

class FakeEngine {
 public:
  FakeEngine(std::string socket_path, std::vector<std::string> ports);
  ~FakeEngine();

  // Refuses the next SetConfig with `status`.
  void RejectNext(absl::Status status);
  // Simulates a restart: drops the connection, forgets the configuration
  // and takes a new boot id.
  void Restart(std::string boot_id);
  void AddInstance(const std::string& service, uint32_t id);
  // The instance `id` starts draining (as an NF's clean stop does).
  void DrainInstance(uint32_t id);
  // The instance `id` is gone from the engine's list.
  void RemoveInstance(uint32_t id);

  std::vector<onvm::engine::v1::SetConfig> configs() const;
  onvm::engine::v1::SetConfig last_config() const;
  size_t config_count() const;

 private:
  void Serve();
  onvm::engine::v1::Response Handle(const onvm::engine::v1::Request& request);

  const std::string socket_path_;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;

  mutable absl::Mutex mu_;
  bool drop_client_ ABSL_GUARDED_BY(mu_) = false;
  onvm::engine::v1::EngineState state_ ABSL_GUARDED_BY(mu_);
  absl::Status reject_next_ ABSL_GUARDED_BY(mu_);
  std::vector<onvm::engine::v1::SetConfig> configs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace onvm::agent::testing

#endif  // ONVM_TEST_AGENT_FAKE_ENGINE_H_
