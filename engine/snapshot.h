// The routing snapshot: everything a worker lcore needs to move packets,
// compiled off the packet path, immutable once published, and swapped with a
// single atomic store (freed after an RCU grace period).
#ifndef ONVM_ENGINE_SNAPSHOT_H_
#define ONVM_ENGINE_SNAPSHOT_H_

#include <rte_ring.h>

#include <cstdint>
#include <string>
#include <vector>

#include "onvm/match.h"
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
};

enum class EndKind : uint8_t { kDrop, kOut };

struct ChainRoute {
  bool defined = false;
  std::vector<uint16_t> services;  // service ids, in order
  EndKind end = EndKind::kDrop;
  uint16_t end_port = kNoPort;  // port index
};

enum class RuleAction : uint8_t { kChain, kOut, kDrop };

struct RuleRoute {
  CompiledMatch match;
  int32_t in_port = -1;  // port index, -1 any
  RuleAction action = RuleAction::kDrop;
  uint16_t target = 0;  // chain id or port index
};

struct Snapshot {
  uint64_t generation = 0;
  std::vector<PortRoute> ports;          // by port index (= stats slot)
  std::vector<InstanceRoute> instances;  // running instances only
  // service id -> indices into `instances`; empty when the service has none.
  std::vector<std::vector<uint16_t>> service_instances;
  std::vector<ChainRoute> chains;  // by chain id
  std::vector<RuleRoute> rules;    // highest priority first
  // DPDK port id -> port index, kNoPort when the id is not ours.
  std::vector<uint16_t> port_index_by_id;
};

}  // namespace onvm::engine

#endif  // ONVM_ENGINE_SNAPSHOT_H_
