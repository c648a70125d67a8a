// Read-only view of an engine's stats segment (stats_layout.h). Any process
// may open one; the engine never waits for readers.
#ifndef ONVM_STATS_READER_H_
#define ONVM_STATS_READER_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "onvm/names.h"
#include "onvm/stats_layout.h"

namespace onvm {

struct StatsHeader {
  std::string engine_name;
  std::string boot_id;
  uint64_t start_time_ns = 0;
  uint64_t heartbeat_ns = 0;
  uint64_t config_generation = 0;
  uint32_t max_ports = 0;
  uint32_t max_instances = 0;
  uint64_t drops[ONVM_DROP_REASON_MAX] = {};  // by enum onvm_drop_reason
};

// Label value of each enum onvm_drop_reason; nullptr for unused indices.
const char* DropReasonName(int reason);

struct PortStats {
  uint32_t slot = 0;
  uint32_t port_id = 0;
  std::string name;
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_packets = 0;
  uint64_t tx_bytes = 0;
  uint64_t rx_missed = 0;
  uint64_t tx_dropped = 0;
  uint64_t no_match_dropped = 0;
};

struct InstanceStats {
  uint32_t slot = 0;
  uint64_t generation = 0;
  uint32_t state = ONVM_STATS_INSTANCE_FREE;  // enum onvm_stats_instance_state
  uint32_t instance_id = 0;
  int32_t pid = 0;
  uint32_t service_id = 0;
  std::string service;
  uint64_t rx_packets = 0;
  uint64_t tx_packets = 0;
  uint64_t dropped_ring_full = 0;
  uint64_t dropped_by_handler = 0;
};

// A read-only mapping of one incarnation of the segment. An engine restart
// creates a new object under the same name, so long-lived readers check
// Replaced() and open again.
class StatsReader {
 public:
  // A heartbeat older than this means the engine is hung or gone.
  static constexpr uint64_t kHeartbeatTimeoutNs = 3'000'000'000;

  // Maps the segment of the engine at `paths` and checks that its magic,
  // layout version and sizes match this build.
  static absl::StatusOr<std::unique_ptr<StatsReader>> Open(const EnginePaths& paths);

  ~StatsReader();
  StatsReader(const StatsReader&) = delete;
  StatsReader& operator=(const StatsReader&) = delete;

  StatsHeader header() const;
  // Slots in use, each a consistent copy; a slot that the engine is
  // rewriting during every attempt is left out of this call's result.
  std::vector<PortStats> ports() const;
  std::vector<InstanceStats> instances() const;

  // True while the engine refreshes its heartbeat (within
  // kHeartbeatTimeoutNs of CLOCK_REALTIME).
  bool EngineAlive() const;
  // True when the name no longer refers to the mapped object: the engine
  // removed it (clean exit) or a restarted engine created a new one.
  bool Replaced() const;

 private:
  StatsReader(EnginePaths paths, const onvm_stats_segment* seg, size_t size, dev_t dev, ino_t ino);

  const EnginePaths paths_;
  const onvm_stats_segment* const seg_;
  const size_t size_;
  const dev_t dev_;
  const ino_t ino_;
};

}  // namespace onvm

#endif  // ONVM_STATS_READER_H_
