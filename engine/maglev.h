// Replica choice: a Maglev-style lookup table per service (Eisenbud et al.,
// "Maglev: A Fast and Reliable Software Network Load Balancer", NSDI 2016):
// flow hash -> table[hash % M] -> replica, one load on the packet path.
//
// The table is built off the packet path from the replicas' instance ids
// alone, so two builds for the same replica set are identical. Each slot goes
// to the replica with the highest score hash(instance id, slot) (rendezvous
// hashing) rather than through Maglev's round-robin walk of per-replica
// permutations. Both are deterministic and fill a table of the same shape;
// the difference is what a scale event moves:
//   - rendezvous: a slot changes owner only if the new replica wins it (or
//     its owner left), so N -> N+1 moves 1/(N+1) of the slots in expectation
//     and removing a replica moves exactly that replica's slots;
//   - Maglev's round robin also reshuffles contested slots among the
//     replicas that stay: over 200 random replica sets and N = 1..16 it moved
//     up to 1.16x the ideal 1/(N+1) with M = 65537 (1.18x with 16411,
//     1.26x with 131071): above the 1.1x the platform promises at every M
//     tried, while rendezvous stayed within 1.05x.
// The price is balance: Maglev gives every replica floor or ceil(M/N) slots,
// rendezvous a binomial share of them: within +-6% of even for N <= 17 and
// +-11% for N = 128 at M = 65537 (maglev_test prints the flow shares).
#ifndef ONVM_ENGINE_MAGLEV_H_
#define ONVM_ENGINE_MAGLEV_H_

#include <rte_hash_crc.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "onvm/packet_key.h"
#include "onvm/stats_layout.h"

namespace onvm::engine {

// Software flow hash over the 5-tuple, used when the PMD supplies no RSS
// hash (RTE_MBUF_F_RX_RSS_HASH unset).
inline uint32_t FlowHash(const PacketKey& key) {
  const uint32_t addr_len = key.ip_version == 6 ? 16 : 4;
  uint32_t h = rte_hash_crc(key.src_addr, addr_len, key.ip_proto);
  h = rte_hash_crc(key.dst_addr, addr_len, h);
  return rte_hash_crc_4byte((uint32_t{key.src_port} << 16) | key.dst_port, h);
}

class MaglevTable {
 public:
  // Table size M. A replica's share of the slots is binomial, so its
  // relative spread is sqrt((N-1)/M): with M = 65537 that is 1.5% at N = 16
  // and 6.2% at N = 255 (ONVM_MAX_REPLICAS, the largest possible replica
  // set), and the moved share of a scale event is 1/(N+1) +- 1.6%
  // (at 16411 slots it would be +-3%, too close to the 10% margin). Prime so
  // that `hash % M` depends on every bit of the flow hash; a compile-time
  // constant, so the modulo is a multiply and shift. One byte per entry:
  // 64 KiB per service, L2-resident.
  static constexpr uint32_t kSize = 65537;
  // Entries are replica positions in one byte.
  static constexpr size_t kMaxReplicas = 255;
  static_assert(ONVM_MAX_REPLICAS <= kMaxReplicas);

  // Builds the table for a replica set given by instance ids (any order, no
  // duplicates, 1..kMaxReplicas of them). Returns null for an empty,
  // oversized or duplicated set. Control path only: allocates, O(M * N)
  // (about 1 ms per 8 replicas).
  static std::shared_ptr<const MaglevTable> Build(std::vector<uint32_t> instance_ids);

  // Position in ids() of the replica that serves flow hash `hash`.
  uint8_t Lookup(uint32_t hash) const { return entries_[hash % kSize]; }

  // The replica set, ascending.
  const std::vector<uint32_t>& ids() const { return ids_; }

 private:
  MaglevTable() = default;

  std::vector<uint32_t> ids_;
  std::unique_ptr<uint8_t[]> entries_;
};

}  // namespace onvm::engine

#endif  // ONVM_ENGINE_MAGLEV_H_
