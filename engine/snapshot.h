// The routing snapshot: everything a worker lcore needs to move packets,
// compiled off the packet path, immutable once published, and swapped with a
// single atomic store (freed after an RCU grace period).
#ifndef ONVM_ENGINE_SNAPSHOT_H_
#define ONVM_ENGINE_SNAPSHOT_H_

#include <rte_ring.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "classifier.h"
#include "maglev.h"
#include "onvm/match.h"
#include "onvm/nf_shm.h"
#include "onvm/stats_layout.h"

namespace onvm::engine {

inline constexpr uint16_t kNoPort = 0xffff;

struct PortRoute {
  uint16_t port_id;  // DPDK port id
  onvm_stats_port* stats;
};

struct InstanceRoute {
  uint32_t instance_id;
  rte_ring* rx;  // engine -> NF
  rte_ring* tx;  // NF -> engine
  onvm_stats_instance* stats;
  uint16_t tx_lcore = 0;       // the packet lcore (LcoreLayout index) that drains `tx`
  bool shared_core = false;    // the NF may be asleep: wake it after an enqueue
  onvm_nf_shm* shm = nullptr;  // shared with the NF
};

enum class EndKind : uint8_t { kDrop, kOut };

struct ChainRoute {
  bool defined = false;
  std::vector<uint16_t> services;  // service ids, in order
  EndKind end = EndKind::kDrop;
  uint16_t end_port = kNoPort;        // port index
  onvm_stats_chain* stats = nullptr;  // never null in a published snapshot
};

enum class RuleAction : uint8_t { kChain, kOut, kDrop };

struct RuleRoute {
  CompiledMatch match;
  int32_t in_port = -1;  // port index, -1 any
  RuleAction action = RuleAction::kDrop;
  uint16_t target = 0;               // chain id or port index
  onvm_stats_rule* stats = nullptr;  // never null in a built table
};

struct ServiceRoute {
  // The service's replicas: indices into Snapshot::instances, in ascending
  // instance id order; empty when it has none.
  std::vector<uint16_t> instances;
  // Flow hash -> position in `instances`; null when there is no replica.
  // Shared with earlier snapshots that had the same replica set.
  std::shared_ptr<const MaglevTable> table;
};

// The rules of one config, compiled. Shared by every snapshot built from
// that config, so that an NF coming or going does not recompile them.
struct RuleTable {
  std::vector<RuleRoute> rules;  // highest priority first
  Classifier classifier;         // over `rules`: positions in it
  // Counters of rules that have no stats slot (tables built without one,
  // as in unit tests); written by the worker, read by nobody.
  mutable onvm_stats_rule unexported_rule{};
};

struct Snapshot {
  uint64_t generation = 0;
  std::vector<PortRoute> ports;            // by port index (= stats slot)
  std::vector<InstanceRoute> instances;    // running instances only
  std::vector<ServiceRoute> services;      // by service id
  std::vector<ChainRoute> chains;          // by chain id
  std::shared_ptr<const RuleTable> rules;  // never null
  // DPDK port id -> port index, kNoPort when the id is not ours.
  std::vector<uint16_t> port_index_by_id;
  // As RuleTable::unexported_rule, for chains.
  mutable onvm_stats_chain unexported_chain{};
};

}  // namespace onvm::engine

#endif  // ONVM_ENGINE_SNAPSHOT_H_
