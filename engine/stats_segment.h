// The engine's side of the stats segment: creates /dev/shm/onvm-NAME.stats,
// owns the mapping and removes the object when the engine stops.
#ifndef ONVM_ENGINE_STATS_SEGMENT_H_
#define ONVM_ENGINE_STATS_SEGMENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "onvm/stats_layout.h"

namespace onvm::engine {

class StatsSegment {
 public:
  // Replaces any segment left by a dead engine of the same name, so readers
  // that compare inodes or boot ids see a new engine.
  static absl::StatusOr<std::unique_ptr<StatsSegment>> Create(const std::string& shm_name,
                                                              const std::string& engine_name,
                                                              const std::string& boot_id,
                                                              uint64_t tsc_hz);
  ~StatsSegment();
  StatsSegment(const StatsSegment&) = delete;
  StatsSegment& operator=(const StatsSegment&) = delete;

  onvm_stats_segment* get() { return seg_; }
  onvm_stats_header& header() { return seg_->header; }

  // Slot metadata updates, done by the control thread while no lcore writes
  // the slot's counters (the slot is not in the published snapshot).
  void ClaimPort(uint32_t slot, uint32_t port_id, const std::string& name);
  void ClaimInstance(uint32_t slot, uint32_t instance_id, int32_t pid, uint32_t service_id,
                     const std::string& service);
  void SetInstanceState(uint32_t slot, onvm_stats_instance_state state);
  void ReleaseInstance(uint32_t slot);
  // Chain and rule slots: claimed with zeroed counters under a new
  // generation, released by marking them unused.
  onvm_stats_chain* ClaimChain(uint32_t slot, uint32_t chain_id, const std::string& name);
  void ReleaseChain(uint32_t slot);
  onvm_stats_rule* ClaimRule(uint32_t slot, const std::string& name);
  void ReleaseRule(uint32_t slot);
  void ClaimLcore(uint32_t slot, uint32_t lcore_id, onvm_stats_lcore_role role, int32_t socket,
                  uint32_t cpu);
  void ClaimMempool(uint32_t slot, const std::string& name, int32_t socket, uint64_t size,
                    uint64_t cache_size);
  // Control-thread counters.
  void SetMempoolInUse(uint32_t slot, uint64_t in_use);
  void SetRingCounts(uint32_t slot, uint64_t rx, uint64_t tx);
  void AddReclaimed(uint32_t slot, uint64_t n);
  // Names of the instance's own counters (at most ONVM_STATS_MAX_CUSTOM,
  // validated), and their current values.
  void SetCustomNames(uint32_t slot, const std::vector<std::string>& names);
  void SetCustomValues(uint32_t slot, const uint64_t* values, uint32_t n);
  void Heartbeat();

 private:
  StatsSegment(std::string shm_name, onvm_stats_segment* seg)
      : shm_name_(std::move(shm_name)), seg_(seg) {}

  std::string shm_name_;
  onvm_stats_segment* seg_;
};

uint64_t RealtimeNs();

}  // namespace onvm::engine

#endif  // ONVM_ENGINE_STATS_SEGMENT_H_
