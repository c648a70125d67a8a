#include "nf_table.h"

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "absl/strings/str_cat.h"

namespace onvm::engine {
namespace {

uint64_t DrainRing(rte_ring* ring) {
  if (ring == nullptr) return 0;
  uint64_t freed = 0;
  void* objs[64];
  unsigned n;
  while ((n = rte_ring_dequeue_burst(ring, objs, 64, nullptr)) != 0) {
    rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(objs), n);
    freed += n;
  }
  return freed;
}

}  // namespace

NfTable::~NfTable() {
  for (NfSlot& s : slots_) {
    DrainRing(s.rx);
    DrainRing(s.tx);
    rte_ring_free(s.rx);
    rte_ring_free(s.tx);
  }
}

std::string NfTable::RxRingName(uint32_t slot) { return absl::StrCat("onvm_nf_rx_", slot); }
std::string NfTable::TxRingName(uint32_t slot) { return absl::StrCat("onvm_nf_tx_", slot); }

absl::Status NfTable::EnsureRings(uint32_t index) {
  NfSlot& s = slots_[index];
  // Rings live as long as the slot and are reused by the next instance:
  // creating memzones per registration would fragment hugepage memory.
  if (s.rx == nullptr) {
    // rx: the worker produces, the NF consumes; tx the other way round.
    s.rx = rte_ring_create(RxRingName(index).c_str(), ring_size_, SOCKET_ID_ANY,
                           RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (s.rx == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot create NF rx ring: ", rte_strerror(rte_errno)));
    }
  }
  if (s.tx == nullptr) {
    s.tx = rte_ring_create(TxRingName(index).c_str(), ring_size_, SOCKET_ID_ANY,
                           RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (s.tx == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot create NF tx ring: ", rte_strerror(rte_errno)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<NfSlot*> NfTable::Allocate(int conn_id, const std::string& service,
                                          uint32_t service_id, int32_t pid) {
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    NfSlot& s = slots_[i];
    if (s.state != NfState::kFree) continue;
    if (absl::Status st = EnsureRings(i); !st.ok()) return st;
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

NfSlot* NfTable::ByConnection(int conn_id) {
  for (NfSlot& s : slots_) {
    if (s.state != NfState::kFree && s.conn_id == conn_id) return &s;
  }
  return nullptr;
}

void NfTable::MarkRunning(NfSlot* slot) {
  slot->state = NfState::kRunning;
  stats_->SetInstanceState(slot->instance_id - 1, ONVM_STATS_INSTANCE_RUNNING);
}

uint64_t NfTable::Release(NfSlot* slot) {
  const uint64_t freed = DrainRing(slot->rx) + DrainRing(slot->tx);
  stats_->ReleaseInstance(slot->instance_id - 1);
  slot->state = NfState::kFree;
  slot->conn_id = -1;
  slot->pid = 0;
  return freed;
}

std::vector<RunningInstance> NfTable::Running() {
  std::vector<RunningInstance> out;
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    const NfSlot& s = slots_[i];
    if (s.state != NfState::kRunning) continue;
    out.push_back(
        {s.service, InstanceRoute{s.instance_id, s.rx, s.tx, &stats_->get()->instances[i]}});
  }
  return out;
}

}  // namespace onvm::engine
