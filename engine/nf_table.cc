#include "nf_table.h"

#include <cstring>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_memzone.h>

#include "absl/strings/str_cat.h"
#include "onvm/nf_shm.h"
#include "onvm/pkt_meta.h"

namespace onvm::engine {
namespace {

onvm_pkt_meta* Meta(rte_mbuf* m, int meta_offset) {
  return RTE_MBUF_DYNFIELD(m, meta_offset, onvm_pkt_meta*);
}

// Frees what is on `ring`, clearing the owner mark first: a free mbuf must
// never carry one (ReclaimHeld would take it for a held packet).
uint64_t DrainRing(rte_ring* ring, int meta_offset) {
  if (ring == nullptr) return 0;
  uint64_t freed = 0;
  rte_mbuf* objs[64];
  unsigned n;
  while ((n = rte_ring_dequeue_burst(ring, reinterpret_cast<void**>(objs), 64, nullptr)) != 0) {
    for (unsigned i = 0; i < n; ++i) Meta(objs[i], meta_offset)->owner = 0;
    rte_pktmbuf_free_bulk(objs, n);
    freed += n;
  }
  return freed;
}

struct ReclaimScan {
  int meta_offset;
  uint16_t owner;
  std::vector<rte_mbuf*> held;
};

// rte_mempool_obj_iter callback: collects the mbufs marked with the dead
// owner. Runs while the worker moves other mbufs, so the mark is read with
// an atomic load; no one writes this owner's id any more.
void CollectHeld(rte_mempool* /*pool*/, void* arg, void* obj, unsigned /*index*/) {
  auto* scan = static_cast<ReclaimScan*>(arg);
  auto* m = static_cast<rte_mbuf*>(obj);
  const uint16_t owner = __atomic_load_n(&Meta(m, scan->meta_offset)->owner, __ATOMIC_RELAXED);
  if (owner == scan->owner) scan->held.push_back(m);
}

}  // namespace

NfTable::~NfTable() {
  for (NfSlot& s : slots_) {
    DrainRing(s.rx, meta_offset_);
    DrainRing(s.tx, meta_offset_);
    rte_ring_free(s.rx);
    rte_ring_free(s.tx);
    rte_memzone_free(s.shm);
  }
}

std::string NfTable::RxRingName(uint32_t slot) { return absl::StrCat("onvm_nf_rx_", slot); }
std::string NfTable::TxRingName(uint32_t slot) { return absl::StrCat("onvm_nf_tx_", slot); }
std::string NfTable::ShmName(uint32_t slot) { return absl::StrCat("onvm_nf_shm_", slot); }

absl::Status NfTable::EnsureRings(uint32_t index, int socket) {
  NfSlot& s = slots_[index];
  // Rings live as long as the slot and are reused by the next instance
  // (creating memzones per registration would fragment hugepage memory),
  // unless that instance runs on another NUMA socket.
  if (s.rx != nullptr && s.ring_socket != socket) {
    rte_ring_free(s.rx);
    rte_ring_free(s.tx);
    s.rx = s.tx = nullptr;
  }
  s.ring_socket = socket;
  // rx: the packet lcores produce (one, or several when lcores are split),
  // the NF consumes; tx: the NF produces, one packet lcore consumes.
  const unsigned rx_flags = multi_producer_ ? RING_F_SC_DEQ : RING_F_SP_ENQ | RING_F_SC_DEQ;
  if (s.rx == nullptr) {
    s.rx = rte_ring_create(RxRingName(index).c_str(), ring_size_, socket, rx_flags);
    if (s.rx == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot create NF rx ring: ", rte_strerror(rte_errno)));
    }
  }
  if (s.shm == nullptr) {
    s.shm = rte_memzone_reserve(ShmName(index).c_str(), sizeof(onvm_nf_shm), SOCKET_ID_ANY, 0);
    if (s.shm == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot reserve the NF's shared memzone: ", rte_strerror(rte_errno)));
    }
  }
  if (s.tx == nullptr) {
    s.tx = rte_ring_create(TxRingName(index).c_str(), ring_size_, socket,
                           RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (s.tx == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot create NF tx ring: ", rte_strerror(rte_errno)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<NfSlot*> NfTable::Allocate(int conn_id, const std::string& service,
                                          uint32_t service_id, int32_t pid, int32_t cpu, int socket,
                                          uint16_t tx_lcore, bool shared_core) {
  const auto same_service = [&](const NfSlot& s) {
    return s.state != NfState::kFree && s.service == service;
  };
  if (std::count_if(slots_.begin(), slots_.end(), same_service) >= ONVM_MAX_REPLICAS) {
    return absl::ResourceExhaustedError(absl::StrCat("service \"", service, "\" already has ",
                                                     ONVM_MAX_REPLICAS,
                                                     " instances, the most one service can have"));
  }
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    NfSlot& s = slots_[i];
    if (s.state != NfState::kFree) continue;
    if (absl::Status st = EnsureRings(i, socket); !st.ok()) return st;
    s.tx_lcore = tx_lcore;
    s.custom_count = 0;
    s.shared_core = shared_core;
    s.cpu = cpu;
    std::memset(s.shm->addr, 0, s.shm->len);
    s.state = NfState::kStarting;
    s.instance_id = i + 1;
    s.service = service;
    s.service_id = service_id;
    s.pid = pid;
    s.conn_id = conn_id;
    stats_->ClaimInstance(i, s.instance_id, pid, service_id, service);
    return &s;
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("all ", slots_.size(), " NF instance slots are in use"));
}

uint32_t NfTable::NextInstanceId() const {
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].state == NfState::kFree) return i + 1;
  }
  return 0;
}

NfSlot* NfTable::ByConnection(int conn_id) {
  for (NfSlot& s : slots_) {
    if (s.state != NfState::kFree && s.conn_id == conn_id) return &s;
  }
  return nullptr;
}

NfSlot* NfTable::ById(uint32_t instance_id) {
  if (instance_id == 0 || instance_id > slots_.size()) return nullptr;
  NfSlot& s = slots_[instance_id - 1];
  return s.state == NfState::kFree ? nullptr : &s;
}

void NfTable::MarkRunning(NfSlot* slot) {
  slot->state = NfState::kRunning;
  stats_->SetInstanceState(slot->instance_id - 1, ONVM_STATS_INSTANCE_RUNNING);
}

NfTable::Released NfTable::Release(NfSlot* slot, const std::vector<rte_mempool*>& pools) {
  Released out;
  // Rings first: what is on them carries the owner mark too.
  out.on_rings = DrainRing(slot->rx, meta_offset_) + DrainRing(slot->tx, meta_offset_);
  out.held = ReclaimHeld(slot->instance_id, pools);
  stats_->AddReclaimed(slot->instance_id - 1, out.held);
  stats_->ReleaseInstance(slot->instance_id - 1);
  slot->state = NfState::kFree;
  slot->conn_id = -1;
  slot->pid = 0;
  return out;
}

uint64_t NfTable::ReclaimHeld(uint32_t instance_id, const std::vector<rte_mempool*>& pools) {
  ReclaimScan scan{meta_offset_, static_cast<uint16_t>(instance_id), {}};
  for (rte_mempool* pool : pools) rte_mempool_obj_iter(pool, CollectHeld, &scan);
  for (rte_mbuf* m : scan.held) {
    Meta(m, meta_offset_)->owner = 0;
    // References the NF took died with it.
    rte_mbuf_refcnt_set(m, 1);
    rte_pktmbuf_free(m);
  }
  return scan.held.size();
}

void NfTable::MarkDraining(NfSlot* slot) {
  slot->state = NfState::kDraining;
  stats_->SetInstanceState(slot->instance_id - 1, ONVM_STATS_INSTANCE_DRAINING);
}

std::vector<RunningInstance> NfTable::Running() {
  std::vector<RunningInstance> out;
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    const NfSlot& s = slots_[i];
    if (s.state != NfState::kRunning && s.state != NfState::kDraining) continue;
    out.push_back({s.service,
                   InstanceRoute{s.instance_id, s.rx, s.tx, &stats_->get()->instances[i],
                                 s.tx_lcore, s.shared_core, static_cast<onvm_nf_shm*>(s.shm->addr)},
                   s.state == NfState::kDraining});
  }
  return out;
}

}  // namespace onvm::engine
