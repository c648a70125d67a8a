#include "worker.h"

#include <linux/futex.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>

#include "classifier.h"
#include "maglev.h"
#include "onvm/packet_key.h"
#include "onvm/pkt_meta.h"

namespace onvm::engine {
namespace {

constexpr uint16_t kBurst = 32;
constexpr uint16_t kBatch = 2 * kBurst;
static_assert(kBurst <= Classifier::kMaxBurst);
// Packets ahead of the one being parsed whose headers are prefetched.
constexpr uint16_t kPrefetchOffset = 4;
// TO_SERVICE jumps a packet may take before it is considered to be looping.
constexpr uint8_t kMaxHops = 32;
// Consecutive empty loop iterations before an idle sleep (when enabled).
constexpr uint32_t kIdleSpins = 1000;
constexpr int kTxRetries = 4;
constexpr uint64_t kCyclesPerPublish = 1 << 20;

struct Batch {
  uint16_t n = 0;
  rte_mbuf* pkts[kBatch];
};

// Per-lcore scratch state. Sized for the largest snapshot so the packet path
// never allocates.
class Worker {
 public:
  explicit Worker(const WorkerContext& ctx) : ctx_(ctx) {}
  void Run();

 private:
  uint32_t PollPort(const Snapshot& s, uint16_t port_index);
  uint32_t DrainInstance(const Snapshot& s, uint16_t inst_index);
  void Dispatch(const Snapshot& s, uint16_t port_index, rte_mbuf* m, const PacketKey& key,
                uint32_t rule, uint64_t now);
  void ToService(const Snapshot& s, rte_mbuf* m, onvm_pkt_meta* meta, uint16_t service);
  void ChainEnd(const Snapshot& s, rte_mbuf* m, const ChainRoute& chain, uint64_t now);
  void RecordLatency(onvm_stats_chain* c, uint64_t cycles) {
    unsigned b = 0;
    while (b < ONVM_STATS_LATENCY_BUCKETS - 1 && cycles > ctx_.latency_bounds[b]) ++b;
    Add(&c->latency_buckets[b], 1);
    Add(&c->latency_sum_ns, static_cast<uint64_t>(cycles * ctx_.ns_per_cycle));
  }
  void ToPort(const Snapshot& s, uint16_t port_index, rte_mbuf* m);
  void FlushInstances(const Snapshot& s);
  void FlushPorts(const Snapshot& s);
  // Counters: single-writer stores with one packet lcore; atomic adds when
  // several may write the same counter (a predictable branch, fixed for
  // the engine's life).
  void Add(uint64_t* counter, uint64_t n) {
    if (ctx_.shared) {
      __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
    } else {
      onvm_stats_add(counter, n);
    }
  }
  uint32_t DrainInbound(const Snapshot& s);
  // The engine's half of the sleep/wake handshake in onvm_nf_shm: the
  // enqueue is ordered before the load of `sleeping` by a full fence (the NF
  // fences between setting `sleeping` and checking its ring), so either the
  // NF sees the packets or this sees it asleep. A syscall only when it is.
  static void WakeIfAsleep(onvm_nf_shm* shm) {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&shm->sleeping, __ATOMIC_RELAXED) == 0) return;
    __atomic_fetch_add(&shm->wake_seq, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&shm->wakeups, 1, __ATOMIC_RELAXED);
    syscall(SYS_futex, &shm->wake_seq, FUTEX_WAKE, 1, nullptr, nullptr, 0);
  }
  void Drop(rte_mbuf* m, onvm_drop_reason reason) {
    Add(&ctx_.engine_stats->drops[reason], 1);
    rte_pktmbuf_free(m);
  }
  onvm_pkt_meta* Meta(rte_mbuf* m) {
    return RTE_MBUF_DYNFIELD(m, ctx_.meta_offset, onvm_pkt_meta*);
  }

  WorkerContext ctx_;
  // Classifier scratch for one rx burst.
  std::array<PacketKey, kBurst> keys_;
  std::array<AclKey, kBurst> acl_keys_;
  std::array<uint32_t, kBurst> rule_;
  std::array<Batch, ONVM_STATS_MAX_INSTANCES> to_nf_;
  std::array<Batch, ONVM_STATS_MAX_PORTS> to_port_;
};

void Worker::Run() {
  rte_rcu_qsbr_thread_register(ctx_.qsbr, ctx_.qsbr_thread_id);
  rte_rcu_qsbr_thread_online(ctx_.qsbr, ctx_.qsbr_thread_id);
  uint32_t idle = 0;
  uint64_t busy = 0;
  uint64_t total = 0;
  uint64_t last = rte_rdtsc();
  while (!ctx_.stop->load(std::memory_order_relaxed)) {
    const Snapshot& s = *ctx_.snapshot->load(std::memory_order_acquire);
    uint32_t work = 0;
    for (uint16_t p : ctx_.rx_ports) work += PollPort(s, p);
    if (ctx_.serves_nfs) {
      for (uint16_t i = 0; i < s.instances.size(); ++i) {
        if (s.instances[i].tx_lcore == ctx_.index) work += DrainInstance(s, i);
      }
      if (ctx_.shared) work += DrainInbound(s);
    }
    FlushInstances(s);
    FlushPorts(s);
    // Nothing from `s` is held past this point.
    rte_rcu_qsbr_quiescent(ctx_.qsbr, ctx_.qsbr_thread_id);
    // Busy and total cycles, published every kCyclesPerPublish so that the
    // shared cache line is not written on every iteration.
    const uint64_t now = rte_rdtsc();
    const uint64_t spent = now - last;
    last = now;
    total += spent;
    if (work != 0) busy += spent;
    if (total >= kCyclesPerPublish) {
      Add(&ctx_.lcore_stats->busy_cycles, busy);
      Add(&ctx_.lcore_stats->total_cycles, total);
      busy = total = 0;
    }
    if (work != 0) {
      idle = 0;
    } else if (ctx_.idle_sleep_us != 0 && ++idle >= kIdleSpins) {
      // Opt-in (--idle-sleep-us): yields the core on machines where the
      // engine shares CPUs with NFs, at the cost of wake-up latency.
      usleep(ctx_.idle_sleep_us);
    } else {
      rte_pause();
    }
  }
  rte_rcu_qsbr_thread_offline(ctx_.qsbr, ctx_.qsbr_thread_id);
  rte_rcu_qsbr_thread_unregister(ctx_.qsbr, ctx_.qsbr_thread_id);
}

uint32_t Worker::PollPort(const Snapshot& s, uint16_t port_index) {
  const PortRoute& port = s.ports[port_index];
  rte_mbuf* pkts[kBurst];
  const uint16_t n = rte_eth_rx_burst(port.port_id, 0, pkts, kBurst);
  if (n == 0) return 0;
  const uint64_t now = rte_rdtsc();
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n && i < kPrefetchOffset; ++i) {
    rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
  }
  // Parse the whole burst, then classify it with one lookup per address
  // family, then act on each packet.
  for (uint16_t i = 0; i < n; ++i) {
    if (i + kPrefetchOffset < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchOffset], void*));
    bytes += pkts[i]->pkt_len;
    // Only the first segment is parsed; headers beyond it count as truncated.
    ParsePacket(rte_pktmbuf_mtod(pkts[i], const uint8_t*), rte_pktmbuf_data_len(pkts[i]),
                &keys_[i]);
    MakeAclKey(keys_[i], port_index, &acl_keys_[i]);
  }
  s.rules->classifier.Classify(port_index, acl_keys_.data(), n, rule_.data());
  for (uint16_t i = 0; i < n; ++i) Dispatch(s, port_index, pkts[i], keys_[i], rule_[i], now);
  Add(&port.stats->rx_packets, n);
  Add(&port.stats->rx_bytes, bytes);
  return n;
}

void Worker::Dispatch(const Snapshot& s, uint16_t port_index, rte_mbuf* m, const PacketKey& key,
                      uint32_t rule, uint64_t now) {
  if (rule == Classifier::kNoMatch) {
    Add(&s.ports[port_index].stats->no_match_dropped, 1);
    rte_pktmbuf_free(m);
    return;
  }
  const RuleRoute& hit = s.rules->rules[rule];
  Add(&hit.stats->packets, 1);
  Add(&hit.stats->bytes, m->pkt_len);
  switch (hit.action) {
    case RuleAction::kDrop:
      Drop(m, ONVM_DROP_RULE);
      return;
    case RuleAction::kOut:
      ToPort(s, hit.target, m);
      return;
    case RuleAction::kChain:
      break;
  }
  // The replica choice hashes the flow: the PMD's RSS hash when it gives
  // one, the software 5-tuple hash otherwise.
  if (!(m->ol_flags & RTE_MBUF_F_RX_RSS_HASH)) {
    m->hash.rss = FlowHash(key);
    m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
  }
  const ChainRoute& chain = s.chains[hit.target];
  Add(&chain.stats->packets, 1);
  Add(&chain.stats->bytes, m->pkt_len);
  onvm_pkt_meta* meta = Meta(m);
  meta->chain = hit.target;
  meta->hop = 0;
  meta->hops = 0;
  meta->in_port = static_cast<uint8_t>(port_index);
  meta->action = ONVM_ACTION_NEXT;
  meta->arg = 0;
  meta->rx_tsc = now;
  ToService(s, m, meta, chain.services[0]);
}

void Worker::ToService(const Snapshot& s, rte_mbuf* m, onvm_pkt_meta* meta, uint16_t service) {
  if (service >= s.services.size() || s.services[service].table == nullptr) {
    Drop(m, ONVM_DROP_NO_INSTANCE);
    return;
  }
  const ServiceRoute& route = s.services[service];
  const uint16_t inst = route.instances[route.table->Lookup(m->hash.rss)];
  meta->action = ONVM_ACTION_NEXT;
  Batch& b = to_nf_[inst];
  if (b.n == kBatch) {
    FlushInstances(s);
  }
  b.pkts[b.n++] = m;
}

void Worker::ChainEnd(const Snapshot& s, rte_mbuf* m, const ChainRoute& chain, uint64_t now) {
  Add(&chain.stats->completed, 1);
  RecordLatency(chain.stats, now - Meta(m)->rx_tsc);
  if (chain.end == EndKind::kOut) {
    ToPort(s, chain.end_port, m);
  } else {
    Drop(m, ONVM_DROP_CHAIN_END);
  }
}

void Worker::ToPort(const Snapshot& s, uint16_t port_index, rte_mbuf* m) {
  Batch& b = to_port_[port_index];
  if (b.n == kBatch) FlushPorts(s);
  b.pkts[b.n++] = m;
}

uint32_t Worker::DrainInstance(const Snapshot& s, uint16_t inst_index) {
  const InstanceRoute& inst = s.instances[inst_index];
  rte_mbuf* pkts[kBurst];
  const unsigned n =
      rte_ring_dequeue_burst(inst.tx, reinterpret_cast<void**>(pkts), kBurst, nullptr);
  if (n == 0) return 0;
  const uint64_t now = rte_rdtsc();
  Add(&inst.stats->tx_packets, n);
  uint64_t handler_drops = 0;
  for (unsigned i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    onvm_pkt_meta* meta = Meta(m);
    meta->owner = 0;  // back with the engine
    const ChainRoute* chain = meta->chain < s.chains.size() ? &s.chains[meta->chain] : nullptr;
    if (chain == nullptr || !chain->defined) {
      // The chain was removed while the packet was inside an NF.
      Drop(m, ONVM_DROP_CHAIN_END);
      continue;
    }
    switch (meta->action) {
      case ONVM_ACTION_NEXT: {
        const unsigned next = unsigned{meta->hop} + 1;
        if (next < chain->services.size()) {
          meta->hop = static_cast<uint8_t>(next);
          ToService(s, m, meta, chain->services[next]);
        } else {
          ChainEnd(s, m, *chain, now);
        }
        break;
      }
      case ONVM_ACTION_DROP:
        ++handler_drops;
        rte_pktmbuf_free(m);
        break;
      case ONVM_ACTION_TO_SERVICE: {
        if (++meta->hops >= kMaxHops) {
          Drop(m, ONVM_DROP_LOOP);
          break;
        }
        // Continue the chain after the target when it is part of it.
        for (size_t h = 0; h < chain->services.size(); ++h) {
          if (chain->services[h] == meta->arg) {
            meta->hop = static_cast<uint8_t>(h);
            break;
          }
        }
        ToService(s, m, meta, meta->arg);
        break;
      }
      case ONVM_ACTION_OUT: {
        const uint16_t port_index =
            meta->arg < s.port_index_by_id.size() ? s.port_index_by_id[meta->arg] : kNoPort;
        if (port_index == kNoPort) {
          Drop(m, ONVM_DROP_BAD_ACTION);
        } else {
          ToPort(s, port_index, m);
        }
        break;
      }
      default:
        Drop(m, ONVM_DROP_BAD_ACTION);
        break;
    }
  }
  if (handler_drops != 0) Add(&inst.stats->dropped_by_handler, handler_drops);
  return n;
}

void Worker::FlushInstances(const Snapshot& s) {
  for (uint16_t i = 0; i < s.instances.size(); ++i) {
    Batch& b = to_nf_[i];
    if (b.n == 0) continue;
    const InstanceRoute& inst = s.instances[i];
    // Marked before the NF can see them: if it dies, what it held is found
    // by this mark (see onvm_pkt_meta.owner).
    const auto owner = static_cast<uint16_t>(inst.instance_id);
    for (uint16_t k = 0; k < b.n; ++k) Meta(b.pkts[k])->owner = owner;
    const unsigned sent =
        rte_ring_enqueue_burst(inst.rx, reinterpret_cast<void**>(b.pkts), b.n, nullptr);
    Add(&inst.stats->rx_packets, sent);
    // Only shared-core NFs sleep; the branch is fixed per instance.
    if (inst.shared_core && sent != 0) WakeIfAsleep(inst.shm);
    if (sent < b.n) {
      // A full ring is a counted drop, never a stall of the rx path.
      for (uint16_t k = sent; k < b.n; ++k) Meta(b.pkts[k])->owner = 0;
      Add(&inst.stats->dropped_ring_full, b.n - sent);
      rte_pktmbuf_free_bulk(b.pkts + sent, b.n - sent);
    }
    b.n = 0;
  }
}

uint32_t Worker::DrainInbound(const Snapshot& s) {
  rte_mbuf* pkts[kBurst];
  const unsigned n = rte_ring_dequeue_burst((*ctx_.inbound)[ctx_.index],
                                            reinterpret_cast<void**>(pkts), kBurst, nullptr);
  for (unsigned i = 0; i < n; ++i) ToPort(s, Meta(pkts[i])->out_port, pkts[i]);
  return n;
}

void Worker::FlushPorts(const Snapshot& s) {
  for (uint16_t p = 0; p < s.ports.size(); ++p) {
    Batch& b = to_port_[p];
    if (b.n == 0) continue;
    const PortRoute& port = s.ports[p];
    const uint16_t owner = (*ctx_.port_tx_lcore)[p];
    if (owner != ctx_.index) {
      // Another lcore transmits on this port: hand the packets over.
      for (uint16_t i = 0; i < b.n; ++i) Meta(b.pkts[i])->out_port = p;
      const unsigned handed = rte_ring_enqueue_burst(
          (*ctx_.inbound)[owner], reinterpret_cast<void**>(b.pkts), b.n, nullptr);
      if (handed < b.n) {
        Add(&port.stats->tx_dropped, b.n - handed);
        rte_pktmbuf_free_bulk(b.pkts + handed, b.n - handed);
      }
      b.n = 0;
      continue;
    }
    uint64_t bytes = 0;
    for (uint16_t i = 0; i < b.n; ++i) bytes += b.pkts[i]->pkt_len;
    uint16_t sent = 0;
    for (int tries = 0; tries < kTxRetries && sent < b.n; ++tries) {
      sent += rte_eth_tx_burst(port.port_id, 0, b.pkts + sent, b.n - sent);
    }
    if (sent < b.n) {
      for (uint16_t i = sent; i < b.n; ++i) bytes -= b.pkts[i]->pkt_len;
      Add(&port.stats->tx_dropped, b.n - sent);
      rte_pktmbuf_free_bulk(b.pkts + sent, b.n - sent);
    }
    Add(&port.stats->tx_packets, sent);
    Add(&port.stats->tx_bytes, bytes);
    b.n = 0;
  }
}

}  // namespace

void SetLatencyBounds(uint64_t tsc_hz, WorkerContext* ctx) {
  static constexpr uint64_t kBoundsNs[] = ONVM_STATS_LATENCY_BOUNDS_NS;
  static_assert(std::size(kBoundsNs) == ONVM_STATS_LATENCY_BUCKETS - 1);
  for (size_t i = 0; i < std::size(kBoundsNs); ++i) {
    ctx->latency_bounds[i] = static_cast<uint64_t>(static_cast<double>(kBoundsNs[i]) *
                                                   static_cast<double>(tsc_hz) / 1e9);
  }
  ctx->ns_per_cycle = 1e9 / static_cast<double>(tsc_hz);
}

int WorkerMain(void* arg) {
  // The worker's scratch arrays are large; keep them off the lcore stack.
  auto worker = std::make_unique<Worker>(*static_cast<WorkerContext*>(arg));
  worker->Run();
  return 0;
}

}  // namespace onvm::engine
