// Read-only view of an engine's stats segment (stats_layout.h). Any process
// may open one; the engine never waits for readers.
#ifndef ONVM_STATS_READER_H_
#define ONVM_STATS_READER_H_

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
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
  // Slot counts of each array, as the engine declares them (validated by
  // Open() against this build's maxima).
  uint32_t max_ports = 0;
  uint32_t max_instances = 0;
  uint32_t max_chains = 0;
  uint32_t max_rules = 0;
  uint32_t max_lcores = 0;
  uint32_t max_mempools = 0;
  // Highest rule slot in use + 1 as the engine last wrote it (not clamped).
  uint32_t rule_slots_used = 0;
  uint64_t tsc_hz = 0;                        // cycles per second of LcoreStats; 0 if unknown
  uint64_t drops[ONVM_DROP_REASON_MAX] = {};  // by enum onvm_drop_reason
};

// Label value of each enum onvm_drop_reason; nullptr for unused indices.
const char* DropReasonName(int reason);

// Label value of each enum onvm_stats_lcore_role ("control", "worker",
// "rx", "tx"); nullptr for ONVM_LCORE_NONE and unknown values.
const char* LcoreRoleName(uint32_t role);

// Upper bounds of ChainStats::latency_buckets in nanoseconds; the bucket
// after the last bound counts everything slower (+Inf).
inline constexpr uint64_t kLatencyBoundsNs[] = ONVM_STATS_LATENCY_BOUNDS_NS;
static_assert(std::size(kLatencyBoundsNs) + 1 == ONVM_STATS_LATENCY_BUCKETS,
              "ONVM_STATS_LATENCY_BUCKETS must be the number of bounds plus +Inf");

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
  // Refreshed by the engine's control thread, so up to its period old.
  uint64_t rx_ring_count = 0;  // packets waiting in the NF's rx ring
  uint64_t tx_ring_count = 0;  // packets waiting in its tx ring
  uint64_t reclaimed = 0;      // mbufs returned to the pool after it died
  // The NF's own counters (name, value), in declaration order.
  std::vector<std::pair<std::string, uint64_t>> custom;
};

struct ChainStats {
  uint32_t slot = 0;
  uint64_t generation = 0;
  uint32_t chain_id = 0;
  std::string name;
  uint64_t packets = 0;  // entered the chain from a rule
  uint64_t bytes = 0;
  uint64_t completed = 0;  // left the chain at its end
  // Per bucket (not cumulative): [i] counts latencies <= kLatencyBoundsNs[i]
  // and above the previous bound; the last one counts the rest.
  std::array<uint64_t, ONVM_STATS_LATENCY_BUCKETS> latency_buckets = {};
  uint64_t latency_sum_ns = 0;
};

struct RuleStats {
  uint32_t slot = 0;
  uint64_t generation = 0;
  std::string name;
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

struct LcoreStats {
  uint32_t slot = 0;
  uint32_t lcore_id = 0;
  uint32_t role = ONVM_LCORE_NONE;  // enum onvm_stats_lcore_role
  int32_t socket = 0;
  uint32_t cpu = 0;
  uint64_t busy_cycles = 0;   // in iterations that moved packets
  uint64_t total_cycles = 0;  // in all iterations
};

struct MempoolStats {
  uint32_t slot = 0;
  std::string name;
  int32_t socket = 0;
  uint64_t size = 0;  // mbufs
  uint64_t cache_size = 0;
  uint64_t mbufs_in_use = 0;
};

// A read-only mapping of one incarnation of the segment. An engine restart
// creates a new object under the same name, so long-lived readers check
// Replaced() and open again.
class StatsReader {
 public:
  // A heartbeat older than this means the engine is hung or gone.
  static constexpr uint64_t kHeartbeatTimeoutNs = 3'000'000'000;

  // Maps the segment of the engine at `paths` and checks that its magic,
  // layout version, sizes and slot counts match this build. UNAVAILABLE
  // while the engine is still creating it, FAILED_PRECONDITION (naming
  // what differs) for a segment of another layout.
  static absl::StatusOr<std::unique_ptr<StatsReader>> Open(const EnginePaths& paths);

  ~StatsReader();
  StatsReader(const StatsReader&) = delete;
  StatsReader& operator=(const StatsReader&) = delete;

  StatsHeader header() const;
  // Slots in use, each a consistent copy; a slot that the engine is
  // rewriting during every attempt is left out of this call's result.
  std::vector<PortStats> ports() const;
  std::vector<InstanceStats> instances() const;
  std::vector<ChainStats> chains() const;
  // Scans the slots below header.rule_slots_used only (at most max_rules).
  std::vector<RuleStats> rules() const;
  std::vector<LcoreStats> lcores() const;
  std::vector<MempoolStats> mempools() const;

  // True while the engine refreshes its heartbeat (within
  // kHeartbeatTimeoutNs of CLOCK_REALTIME).
  bool EngineAlive() const;
  // True when the name no longer refers to the mapped object: the engine
  // removed it (clean exit) or a restarted engine created a new one.
  bool Replaced() const;

 private:
  // Slot counts of the header, copied once validated so that every scan
  // stays inside the arrays whatever the mapping holds later.
  struct Limits {
    uint32_t ports = 0;
    uint32_t instances = 0;
    uint32_t chains = 0;
    uint32_t rules = 0;
    uint32_t lcores = 0;
    uint32_t mempools = 0;
  };

  StatsReader(EnginePaths paths, const onvm_stats_segment* seg, size_t size, dev_t dev, ino_t ino);

  const EnginePaths paths_;
  const onvm_stats_segment* const seg_;
  const size_t size_;
  const dev_t dev_;
  const ino_t ino_;
  Limits limits_;  // set by Open() before the reader is handed out
};

}  // namespace onvm

#endif  // ONVM_STATS_READER_H_
