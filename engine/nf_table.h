// NF instance slots: ids, rings, lifecycle. Owned by the control thread.
#ifndef ONVM_ENGINE_NF_TABLE_H_
#define ONVM_ENGINE_NF_TABLE_H_

#include <rte_mempool.h>
#include <rte_memzone.h>
#include <rte_ring.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "onvm/stats_layout.h"
#include "routing_config.h"
#include "stats_segment.h"

namespace onvm::engine {

// kDraining: no new packets are routed to it, its tx ring is still drained.
enum class NfState { kFree, kStarting, kRunning, kDraining };

struct NfSlot {
  NfState state = NfState::kFree;
  uint32_t instance_id = 0;  // slot index + 1
  std::string service;
  uint32_t service_id = 0;
  int32_t pid = 0;
  int conn_id = -1;  // control connection that is this NF's lease
  rte_ring* rx = nullptr;
  rte_ring* tx = nullptr;
  int ring_socket = SOCKET_ID_ANY;  // where rx and tx were made
  // struct onvm_nf_shm shared with the NF (its own counters, wake-up
  // words), and how many counters it declared.
  const rte_memzone* shm = nullptr;
  uint32_t custom_count = 0;
  bool shared_core = false;  // the NF sleeps when idle and must be woken
  int32_t cpu = -1;          // CPU it polls on, as it registered (-1: unknown)
  uint16_t tx_lcore = 0;     // packet lcore serving its tx ring
};

class NfTable {
 public:
  // `meta_offset`: the mbuf dynfield of struct onvm_pkt_meta, whose `owner`
  // marks what an NF holds.
  // `multi_producer`: several lcores may enqueue on an NF's rx ring.
  NfTable(StatsSegment* stats, uint32_t ring_size, int meta_offset, bool multi_producer)
      : stats_(stats),
        ring_size_(ring_size),
        meta_offset_(meta_offset),
        multi_producer_(multi_producer) {}
  ~NfTable();
  NfTable(const NfTable&) = delete;
  NfTable& operator=(const NfTable&) = delete;

  // Takes a free slot for a starting NF on `cpu`; its rings are empty and
  // on `socket` (SOCKET_ID_ANY: anywhere).
  absl::StatusOr<NfSlot*> Allocate(int conn_id, const std::string& service, uint32_t service_id,
                                   int32_t pid, int32_t cpu, int socket, uint16_t tx_lcore,
                                   bool shared_core);
  NfSlot* ByConnection(int conn_id);
  // The registered (not free) slot of `instance_id`, or nullptr.
  NfSlot* ById(uint32_t instance_id);
  // Instance id the next Allocate will hand out (0 if every slot is taken).
  uint32_t NextInstanceId() const;
  void MarkRunning(NfSlot* slot);
  void MarkDraining(NfSlot* slot);
  struct Released {
    uint64_t on_rings = 0;  // left on its rx and tx rings
    uint64_t held = 0;      // dequeued by the NF and never handed back
  };
  // Frees everything left on the slot's rings, then every mbuf still
  // marked as held by the instance (what a killed NF had in hand), and
  // releases the slot. The caller must already have published a snapshot
  // without the instance, and its process must no longer touch packets.
  // `pools`: every pool the NF may have held mbufs of.
  Released Release(NfSlot* slot, const std::vector<rte_mempool*>& pools);

  // Running and draining instances (the ones whose rings the worker serves).
  std::vector<RunningInstance> Running();
  const std::array<NfSlot, ONVM_STATS_MAX_INSTANCES>& slots() const { return slots_; }
  static std::string RxRingName(uint32_t slot);
  static std::string TxRingName(uint32_t slot);
  static std::string ShmName(uint32_t slot);

 private:
  uint64_t ReclaimHeld(uint32_t instance_id, const std::vector<rte_mempool*>& pools);
  absl::Status EnsureRings(uint32_t index, int socket);

  StatsSegment* stats_;
  uint32_t ring_size_;
  int meta_offset_;
  bool multi_producer_;
  std::array<NfSlot, ONVM_STATS_MAX_INSTANCES> slots_;
};

}  // namespace onvm::engine

#endif  // ONVM_ENGINE_NF_TABLE_H_
