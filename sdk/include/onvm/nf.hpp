// The onvm NF SDK: write a packet handler, link onvm_sdk, and the SDK does
// the rest (flags, registration with the engine, attaching to its shared
// memory as a DPDK secondary process, the burst loop, clean shutdown).
//
//   #include <onvm/nf.hpp>
//   int main(int argc, char** argv) {
//     return onvm::RunNf(argc, argv, [](onvm::Burst& burst) {
//       for (auto& pkt : burst) pkt.Next();
//     });
//   }
//
// The handler runs once per burst (up to Burst::kMaxSize packets) on the NF's
// poll thread. It must not block, and it decides one action per packet; it
// never frees, sends or keeps an mbuf: the SDK hands every packet of the
// burst back to the engine, which carries out the actions.
#ifndef ONVM_NF_HPP_
#define ONVM_NF_HPP_

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "onvm/pkt_meta.h"

struct rte_ring;

namespace onvm {

// What the engine does with a packet after the handler. Values are those of
// enum onvm_action (onvm/pkt_meta.h).
enum class Action : uint8_t {
  kNext = ONVM_ACTION_NEXT,             // next service of the packet's chain
  kDrop = ONVM_ACTION_DROP,             // free it (counted as a handler drop)
  kToService = ONVM_ACTION_TO_SERVICE,  // jump to a service, by id
  kOut = ONVM_ACTION_OUT,               // transmit out of a port, by id
};

class Burst;

namespace internal {
class Loop;
struct NfHooks;
int RunNf(int argc, char** argv, const NfHooks& hooks);
// Offset of struct onvm_pkt_meta in every mbuf, set by the SDK when it
// attaches to the engine.
inline int pkt_meta_offset = -1;
}  // namespace internal

// One packet of a burst. Not copyable: take it by reference
// (`for (auto& pkt : burst)`), so that the action lands in the burst.
class Packet {
 public:
  Packet(const Packet&) = delete;
  Packet& operator=(const Packet&) = delete;

  rte_mbuf* mbuf() const { return mbuf_; }
  // The bytes at data() are contiguous: length() of them, starting with the
  // Ethernet header. That is the whole packet unless it spans several
  // segments; packet_length() is the whole packet.
  uint8_t* data() const { return rte_pktmbuf_mtod(mbuf_, uint8_t*); }
  uint32_t length() const { return rte_pktmbuf_data_len(mbuf_); }
  uint32_t packet_length() const { return rte_pktmbuf_pkt_len(mbuf_); }
  // What the engine recorded for the packet (chain, hop, in_port). The
  // action chosen here is in action(), not in meta().
  const onvm_pkt_meta& meta() const {
    return *RTE_MBUF_DYNFIELD(mbuf_, internal::pkt_meta_offset, const onvm_pkt_meta*);
  }

  // The action; the last call wins. Before the handler runs it is Next().
  void Next() { Set(Action::kNext, 0); }
  void Drop() { Set(Action::kDrop, 0); }
  void ToService(uint16_t service_id) { Set(Action::kToService, service_id); }
  void Out(uint16_t port_id) { Set(Action::kOut, port_id); }
  Action action() const { return action_; }
  // The service id (kToService) or port id (kOut); 0 otherwise.
  uint16_t action_arg() const { return arg_; }

 private:
  friend class Burst;
  friend class internal::Loop;

  Packet() = default;
  void Set(Action action, uint16_t arg) {
    action_ = action;
    arg_ = arg;
  }

  rte_mbuf* mbuf_ = nullptr;
  uint16_t arg_ = 0;
  Action action_ = Action::kNext;
};

// The packets dequeued together from the NF's rx ring, in ring order.
class Burst {
 public:
  static constexpr uint16_t kMaxSize = 32;

  Burst() = default;
  Burst(const Burst&) = delete;
  Burst& operator=(const Burst&) = delete;

  uint16_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Packet& operator[](uint16_t i) { return packets_[i]; }
  const Packet& operator[](uint16_t i) const { return packets_[i]; }
  Packet* begin() { return packets_; }
  Packet* end() { return packets_ + size_; }
  const Packet* begin() const { return packets_; }
  const Packet* end() const { return packets_ + size_; }

 private:
  friend class internal::Loop;

  Packet packets_[kMaxSize];
  uint16_t size_ = 0;
};

// Counted by the SDK on the NF's poll thread, updated after every burst.
struct NfStats {
  uint64_t rx_packets = 0;     // dequeued from the rx ring
  uint64_t tx_packets = 0;     // handed back on the tx ring
  uint64_t dropped = 0;        // the handler chose Drop()
  uint64_t freed_on_stop = 0;  // tx ring full when the NF stopped
  uint64_t originated = 0;     // packets of its own, handed over by NfContext::Send
};

// Where a packet the NF made itself enters the engine's routing: as if it
// had arrived at this NF at position `hop` (0 = first service) of chain
// `chain` (an id, see NfContext::ChainId), and the handler had chosen
// `action` for it. With kNext it goes to service hop + 1 of the chain (or
// to the chain's end); kToService, kOut and kDrop act as from the handler.
struct Origin {
  uint16_t chain = 0;
  uint8_t hop = 0;
  Action action = Action::kNext;
  uint16_t arg = 0;  // service id (kToService) or port id (kOut)
};

// A counter of the NF's own, declared with NfContext::AddCounter and
// exported by the agent as onvm_nf_custom_total{service,instance,name}.
// Add() is one plain store into shared memory: call it from the NF's poll
// thread (the handler) only.
class Counter {
 public:
  Counter() = default;
  void Add(uint64_t n = 1) {
    __atomic_store_n(value_, __atomic_load_n(value_, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
  }
  uint64_t value() const { return __atomic_load_n(value_, __ATOMIC_RELAXED); }
  // For the C API.
  uint64_t* address() const { return value_; }

 private:
  friend struct NfContext;
  explicit Counter(uint64_t* value) : value_(value) {}
  uint64_t* value_ = nullptr;
};

// Who this NF is, known once it has registered and attached. Given to the
// Init hook; stays valid until RunNf returns.
struct NfContext {
  std::string program;  // basename of argv[0]
  std::string engine;
  std::string service;
  uint32_t service_id = 0;
  uint32_t instance_id = 0;
  // CPU the NF polls on. Its thread is not a DPDK lcore (rte_lcore_id() is
  // LCORE_ID_ANY): mempool calls skip the per-lcore cache.
  unsigned cpu = 0;
  int socket_id = 0;  // its NUMA socket
  rte_mempool* pktmbuf_pool = nullptr;
  NfStats stats;

  // Declares a counter of the NF's own. Only in the Init hook; at most
  // ONVM_STATS_MAX_CUSTOM, names [a-z_][a-z0-9_]* of up to 31 characters,
  // each once. InvalidArgument names the problem.
  absl::StatusOr<Counter> AddCounter(absl::string_view name);
  const std::vector<std::string>& counter_names() const { return counter_names_; }

  // How often the Periodic hook runs (1 s unless the NF's callbacks say
  // otherwise); Init may change it.
  std::chrono::milliseconds periodic_interval{1000};

  // --- Packets the NF makes itself (a traffic generator such as
  // speed_tester). Call these on the NF's poll thread only: from Handle,
  // Poll or Periodic. ---

  // The id of the engine's chain `name`, for Origin::chain; read from the
  // engine's stats segment. NotFound when the engine has no such chain. A
  // control-path call (it maps the segment): use it in Init.
  absl::StatusOr<uint16_t> ChainId(absl::string_view name) const;
  // Takes `n` mbufs from the engine's pool: all or none (returns n or 0).
  // They come reset (one segment, no data) and marked as held by this NF,
  // so that the engine returns them to the pool if the NF dies.
  uint16_t Alloc(rte_mbuf** mbufs, uint16_t n);
  // Hands packets from Alloc to the engine, which routes them as `from`
  // says. Sets each packet's onvm_pkt_meta (and its timestamp for the
  // chain's latency histogram); the replica of the next service is chosen
  // by mbuf->hash.rss, which the NF sets per flow (Alloc leaves it 0).
  // Returns how many were enqueued, from the front: the others, if the tx
  // ring is full, are still the NF's (Send them later or Free them).
  uint16_t Send(rte_mbuf* const* mbufs, uint16_t n, const Origin& from);
  // Returns mbufs from Alloc that were not sent. Never free a packet of a
  // Burst: Drop() it.
  void Free(rte_mbuf* const* mbufs, uint16_t n);

 private:
  friend int internal::RunNf(int argc, char** argv, const internal::NfHooks& hooks);
  rte_ring* tx_ring_ = nullptr;         // the NF's tx ring (single producer: this thread)
  uint64_t* counter_values_ = nullptr;  // the engine's memzone for this instance
  bool counters_open_ = false;          // true during Init
  std::vector<std::string> counter_names_;
};

// Asks the running NF to stop as if it had received SIGTERM. Async-signal
// safe; may be called from the handler.
void RequestStop();

namespace internal {

// Type-erased NF, built by RunNf below. `init`, `shutdown` and `usage` may
// be null.
struct NfHooks {
  void* nf = nullptr;
  void (*handle)(void* nf, Burst& burst) = nullptr;
  absl::Status (*init)(void* nf, NfContext& ctx, std::span<const std::string> args) = nullptr;
  void (*shutdown)(void* nf) = nullptr;
  bool (*poll)(void* nf, NfContext& ctx) = nullptr;
  void (*periodic)(void* nf, NfContext& ctx) = nullptr;
  uint32_t periodic_ms = 1000;  // initial NfContext::periodic_interval
  const char* usage = nullptr;
};

int RunNf(int argc, char** argv, const NfHooks& hooks);

template <typename T>
concept HasHandle = requires(T& nf, Burst& burst) {
  nf.Handle(burst);
};
template <typename T>
concept HasInit = requires(T& nf, NfContext& ctx, std::span<const std::string> args) {
  nf.Init(ctx, args);
};
template <typename T>
concept HasShutdown = requires(T& nf) {
  nf.Shutdown();
};
template <typename T>
concept HasPoll = requires(T& nf, NfContext& ctx) {
  { nf.Poll(ctx) } -> std::convertible_to<bool>;
};
template <typename T>
concept HasPeriodic = requires(T& nf, NfContext& ctx) {
  nf.Periodic(ctx);
};
template <typename T>
concept HasUsage = requires {
  { T::kUsage } -> std::convertible_to<const char*>;
};

}  // namespace internal

// Runs an NF until SIGINT/SIGTERM or until the engine goes away; returns
// the process exit code. `nf` is either a callable taking Burst&, or an
// object with
//   void Handle(onvm::Burst&);                          // required
//   absl::Status Init(onvm::NfContext&,                 // optional; may
//                     std::span<const std::string> args);  // return void
//   void Shutdown();                                    // optional
//   bool Poll(onvm::NfContext&);                        // optional
//   void Periodic(onvm::NfContext&);                    // optional
//   static constexpr const char* kUsage = "...";        // optional
// Init receives the arguments the SDK did not take (the NF's own flags); an
// NF without Init rejects any such argument. Init runs after the NF has
// attached to the engine and before the engine routes traffic to it; an
// InvalidArgument error from it is a usage error (exit 2). Shutdown runs
// after the last burst has been handed back.
//
// Poll runs on the poll thread once per loop iteration, after the burst if
// there was one and also when the rx ring is empty: the place for an NF to
// make packets of its own (NfContext::Alloc and Send). It returns whether
// it did work; while it returns false and no packet arrives, an NF with
// --idle-sleep-us or --shared-core may sleep. Periodic runs on the poll
// thread about every ctx.periodic_interval (reports, timers). Neither runs
// once the NF is stopping (it then only finishes the packets it was given).
template <typename Nf>
requires std::invocable<Nf&, Burst&> || internal::HasHandle<std::remove_cvref_t<Nf>>
int RunNf(int argc, char** argv, Nf&& nf) {
  using T = std::remove_reference_t<Nf>;
  using U = std::remove_cv_t<T>;
  internal::NfHooks hooks;
  hooks.nf = const_cast<U*>(std::addressof(nf));
  hooks.handle = [](void* p, Burst& burst) {
    T& self = *static_cast<T*>(p);
    if constexpr (internal::HasHandle<T>) {
      self.Handle(burst);
    } else {
      self(burst);
    }
  };
  if constexpr (internal::HasInit<T>) {
    hooks.init = [](void* p, NfContext& ctx, std::span<const std::string> args) -> absl::Status {
      T& self = *static_cast<T*>(p);
      using R = decltype(self.Init(ctx, args));
      static_assert(std::is_void_v<R> || std::is_convertible_v<R, absl::Status>,
                    "Init must return void or absl::Status");
      if constexpr (std::is_void_v<R>) {
        self.Init(ctx, args);
        return absl::OkStatus();
      } else {
        return self.Init(ctx, args);
      }
    };
  }
  if constexpr (internal::HasShutdown<T>) {
    hooks.shutdown = [](void* p) { static_cast<T*>(p)->Shutdown(); };
  }
  if constexpr (internal::HasPoll<T>) {
    hooks.poll = [](void* p, NfContext& ctx) -> bool {
      return static_cast<bool>(static_cast<T*>(p)->Poll(ctx));
    };
  }
  if constexpr (internal::HasPeriodic<T>) {
    hooks.periodic = [](void* p, NfContext& ctx) { static_cast<T*>(p)->Periodic(ctx); };
  }
  if constexpr (internal::HasUsage<U>) hooks.usage = U::kUsage;
  return internal::RunNf(argc, argv, hooks);
}

}  // namespace onvm

#endif  // ONVM_NF_HPP_
