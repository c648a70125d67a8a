// RunNf: flags, registration, attaching as a DPDK secondary, the burst loop
// and shutdown. The per-packet code is Loop::Run and its two helpers.
#include <linux/futex.h>
#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>
#include <rte_memzone.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_service_component.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine_connection.h"
#include "onvm/abi.h"
#include "onvm/names.h"
#include "onvm/nf.hpp"
#include "onvm/nf_shm.h"
#include "onvm/pkt_meta.h"
#include "onvm/stats_layout.h"
#include "onvm/stats_reader.h"
#include "options.h"

namespace onvm {
namespace internal {
namespace {

// Exit codes of an NF process.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// How long a stopping NF may take to finish the packets it was given.
constexpr unsigned kFinishTimeoutSeconds = 5;

// Shared-core mode: empty polls before sleeping (short: the point is to
// give the CPU away), and the longest sleep before looking at stop requests
// and the engine's connection again.
constexpr uint32_t kEmptyPollsBeforeSharedSleep = 64;
constexpr long kSleepCheckMs = 100;

// Consecutive empty polls before --idle-sleep-us starts to apply.
constexpr uint32_t kEmptyPollsBeforeSleep = 1000;

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the stop flag is set from a signal handler");

void OnStopSignal(int /*sig*/) { g_stop.store(true, std::memory_order_relaxed); }

bool StopRequested() { return g_stop.load(std::memory_order_relaxed); }

// SIGINT/SIGTERM ask for a clean stop. SA_RESETHAND: a second signal of the
// same kind kills a process that does not stop (e.g. a handler stuck in a loop).
void InstallSignalHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

void Print(absl::string_view program, absl::string_view message) {
  std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(program.size()), program.data(),
               static_cast<int>(message.size()), message.data());
}

// First CPU this process may run on, or 0 if the mask cannot be read.
unsigned FirstAllowedCpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
  for (unsigned cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) return cpu;
  }
  return 0;
}

// What the NF looked up in the engine's shared memory.
struct Attachment {
  rte_ring* rx = nullptr;
  rte_ring* tx = nullptr;
  rte_mempool* pool = nullptr;
  int meta_offset = -1;
  onvm_nf_shm* shm = nullptr;  // shared with the engine: counters, wake-up words
  int socket = SOCKET_ID_ANY;  // NUMA node of the CPU the NF polls on
};

std::string RteError() {
  return absl::StrCat(rte_strerror(rte_errno), " (rte_errno ", rte_errno, ")");
}

// Initialises EAL as a secondary of the engine. Sets *eal_up once EAL is
// initialised (it must then be cleaned up, whatever else fails).
absl::StatusOr<Attachment> Attach(const std::string& program, const std::string& engine,
                                  const engine::v1::RegisterNfReply& reply, unsigned core,
                                  bool* eal_up) {
  const std::string file_prefix =
      reply.file_prefix().empty() ? PathsForEngine(engine).file_prefix : reply.file_prefix();
  if (core >= CPU_SETSIZE) {
    return absl::InvalidArgumentError(absl::StrCat("CPU ", core, " does not exist"));
  }
  if (reply.lcore_id() >= RTE_MAX_LCORE) {
    return absl::InternalError(absl::StrCat("engine assigned lcore id ", reply.lcore_id(),
                                            " beyond RTE_MAX_LCORE ", RTE_MAX_LCORE));
  }
  // EAL keeps pointers into argv, so the strings live as long as the process.
  static std::vector<std::string> eal_args;
  eal_args = {program, "--proc-type=secondary", absl::StrCat("--file-prefix=", file_prefix),
              "--no-pci", "--no-telemetry", "--log-level=lib.eal:error",
              // The lcore id only lives until rte_thread_unregister below;
              // the CPU binding stays.
              absl::StrCat("--lcores=", reply.lcore_id(), "@", core)};
  static std::vector<char*> eal_argv;
  eal_argv.clear();
  for (std::string& a : eal_args) eal_argv.push_back(a.data());
  eal_argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(eal_args.size()), eal_argv.data()) < 0) {
    return absl::UnavailableError(absl::StrCat("cannot attach to the shared memory of engine \"",
                                               engine, "\" (DPDK secondary, ", "file prefix \"",
                                               file_prefix, "\", CPU ", core, "): ", RteError()));
  }
  *eal_up = true;

  // EAL's service-core tables (one entry per RTE_MAX_LCORE) come from the
  // engine's shared heap: a kill -9 would leak them, and with hundreds of
  // NFs attaching they made the engine grow its hugepage memory on a
  // secondary's request, which crashed the engine (DPDK 22.11; 256 NFs
  // started at once, 98 to 145 registered). NFs run no service cores; the
  // tables go back at once.
  rte_service_finalize();
  Attachment at;
  at.socket = static_cast<int>(rte_socket_id());
  // Every NF starts as the same lcore id, so none may keep it: as
  // LCORE_ID_ANY this thread allocates and frees mbufs straight on the
  // pool's ring, with no per-lcore cache that another NF could share or
  // that a kill -9 would strand.
  rte_thread_unregister();
  at.rx = rte_ring_lookup(reply.rx_ring().c_str());
  if (at.rx == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "rx ring \"", reply.rx_ring(), "\" not found in the engine's shared memory: ", RteError()));
  }
  at.tx = rte_ring_lookup(reply.tx_ring().c_str());
  if (at.tx == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "tx ring \"", reply.tx_ring(), "\" not found in the engine's shared memory: ", RteError()));
  }
  at.pool = rte_mempool_lookup(reply.pktmbuf_pool().c_str());
  if (at.pool == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("mbuf pool \"", reply.pktmbuf_pool(),
                     "\" not found in the engine's shared memory: ", RteError()));
  }
  const rte_memzone* mz = rte_memzone_lookup(reply.shm_memzone().c_str());
  if (mz == nullptr || mz->len < sizeof(onvm_nf_shm)) {
    return absl::NotFoundError(absl::StrCat("memzone \"", reply.shm_memzone(),
                                            "\" not found in the engine's shared memory"));
  }
  at.shm = static_cast<onvm_nf_shm*>(mz->addr);
  const std::string dynfield =
      reply.meta_dynfield().empty() ? ONVM_PKT_META_DYNFIELD : reply.meta_dynfield();
  rte_mbuf_dynfield params = {};
  at.meta_offset = rte_mbuf_dynfield_lookup(dynfield.c_str(), &params);
  if (at.meta_offset < 0) {
    return absl::NotFoundError(absl::StrCat("mbuf dynamic field \"", dynfield,
                                            "\" is not registered by the engine: ", RteError()));
  }
  if (params.size != sizeof(onvm_pkt_meta) || at.meta_offset % alignof(onvm_pkt_meta) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("mbuf dynamic field \"", dynfield, "\" has size ", params.size, " at offset ",
                     at.meta_offset, "; this NF expects struct onvm_pkt_meta of size ",
                     sizeof(onvm_pkt_meta), " (ABI version ", ONVM_ABI_VERSION, ")"));
  }
  return at;
}

}  // namespace

// The packet path. Per burst: dequeue, prefetch, run the handler, write the
// actions into each mbuf's onvm_pkt_meta, enqueue on the tx ring. Nothing
// here allocates, locks or makes a system call per packet; once a second
// (by TSC) it polls the control socket for a hang-up.
class Loop {
 public:
  enum class Exit { kStopped, kEngineGone };

  // `shm`: non-null in shared-core mode (sleep while idle, woken by the
  // engine).
  Loop(rte_ring* rx, rte_ring* tx, EngineConnection* engine, uint32_t idle_sleep_us,
       onvm_nf_shm* shm)
      : rx_(rx), tx_(tx), engine_(engine), idle_sleep_us_(idle_sleep_us), shm_(shm) {}

  // Runs the handler, and the Poll and Periodic hooks, until a stop.
  Exit Run(const NfHooks& hooks, NfContext* ctx);
  // After the engine has accepted NfDrain (it routes nothing new here):
  // handles what is left on the rx ring and waits until the engine has
  // taken everything off the tx ring, for at most `timeout_s` seconds.
  // Returns false if that did not happen in time.
  bool Finish(const NfHooks& hooks, NfStats* stats, unsigned timeout_s);

 private:
  // One burst: dequeue, handle, hand back. Returns how many packets.
  uint16_t Poll(const NfHooks& hooks, NfStats* stats);

  // True when the NF must stop: a stop was requested (or, while finishing,
  // the deadline passed), or (checked about once a second) the engine
  // closed the control connection.
  bool TimeToStop() {
    if (finish_deadline_tsc_ == 0 ? StopRequested() : rte_rdtsc() > finish_deadline_tsc_) {
      return true;
    }
    const uint64_t now = rte_rdtsc();
    if (likely(now < next_check_tsc_)) return false;
    next_check_tsc_ = now + rte_get_tsc_hz();
    if (engine_->PeerClosed()) {
      engine_gone_ = true;
      return true;
    }
    return false;
  }

  static void FillBurst(Burst& burst, rte_mbuf* const* mbufs, uint16_t n);
  static uint64_t WriteActions(const Burst& burst, int meta_offset);

  // Shared-core mode: sleeps until the engine has enqueued something (or
  // kSleepCheckMs passed, to look at stop requests and the engine).
  void Sleep();

  rte_ring* const rx_;
  rte_ring* const tx_;
  EngineConnection* const engine_;
  const uint32_t idle_sleep_us_;
  onvm_nf_shm* const shm_;
  uint64_t next_check_tsc_ = 0;
  uint64_t finish_deadline_tsc_ = 0;  // non-zero while finishing
  bool engine_gone_ = false;
  rte_mbuf* mbufs_[Burst::kMaxSize];
  Burst burst_;
};

void Loop::FillBurst(Burst& burst, rte_mbuf* const* mbufs, uint16_t n) {
  // The engine wrote these mbufs on another core: pull in both header lines
  // (the second holds the dynfield), then the packet data.
  for (uint16_t i = 0; i < n; ++i) {
    rte_prefetch0(mbufs[i]);
    rte_prefetch0(RTE_PTR_ADD(mbufs[i], RTE_CACHE_LINE_SIZE));
  }
  for (uint16_t i = 0; i < n; ++i) {
    rte_prefetch0(rte_pktmbuf_mtod(mbufs[i], void*));
    Packet& pkt = burst.packets_[i];
    pkt.mbuf_ = mbufs[i];
    pkt.action_ = Action::kNext;
    pkt.arg_ = 0;
  }
  burst.size_ = n;
}

// The one place where actions reach struct onvm_pkt_meta. Returns how many
// packets the handler dropped.
uint64_t Loop::WriteActions(const Burst& burst, int meta_offset) {
  uint64_t dropped = 0;
  for (uint16_t i = 0; i < burst.size_; ++i) {
    const Packet& pkt = burst.packets_[i];
    auto* meta = RTE_MBUF_DYNFIELD(pkt.mbuf_, meta_offset, onvm_pkt_meta*);
    meta->action = static_cast<uint8_t>(pkt.action_);
    meta->arg = pkt.arg_;
    dropped += pkt.action_ == Action::kDrop;
  }
  return dropped;
}

uint16_t Loop::Poll(const NfHooks& hooks, NfStats* stats) {
  rte_mbuf** const mbufs = mbufs_;
  const int meta_offset = pkt_meta_offset;
  const uint16_t n = static_cast<uint16_t>(
      rte_ring_dequeue_burst(rx_, reinterpret_cast<void**>(mbufs), Burst::kMaxSize, nullptr));
  if (n == 0) return 0;
  FillBurst(burst_, mbufs, n);
  hooks.handle(hooks.nf, burst_);
  stats->dropped += WriteActions(burst_, meta_offset);
  stats->rx_packets += n;

  // The engine always drains tx rings, so a full ring is brief; keep
  // trying until everything is handed back or the NF must stop.
  unsigned sent = rte_ring_enqueue_burst(tx_, reinterpret_cast<void* const*>(mbufs), n, nullptr);
  while (unlikely(sent < n)) {
    if (TimeToStop()) {
      // Freed here, so no longer held by this NF: clear the engine's mark
      // (see onvm_pkt_meta.owner) before they go back to the pool.
      for (unsigned i = sent; i < n; ++i) {
        RTE_MBUF_DYNFIELD(mbufs[i], meta_offset, onvm_pkt_meta*)->owner = 0;
      }
      rte_pktmbuf_free_bulk(mbufs + sent, n - sent);
      stats->freed_on_stop += n - sent;
      break;
    }
    rte_pause();
    sent += rte_ring_enqueue_burst(tx_, reinterpret_cast<void* const*>(mbufs + sent), n - sent,
                                   nullptr);
  }
  stats->tx_packets += sent;
  return n;
}

Loop::Exit Loop::Run(const NfHooks& hooks, NfContext* ctx) {
  uint32_t empty_polls = 0;
  const uint64_t hz = rte_get_tsc_hz();
  next_check_tsc_ = rte_rdtsc() + hz;
  const uint64_t period =
      std::max<uint64_t>(1, static_cast<uint64_t>(ctx->periodic_interval.count()) * hz / 1000);
  uint64_t next_periodic_tsc = rte_rdtsc() + period;
  while (!TimeToStop()) {
    bool work = Poll(hooks, &ctx->stats) != 0;
    if (hooks.poll != nullptr) work |= hooks.poll(hooks.nf, *ctx);
    if (hooks.periodic != nullptr) {
      const uint64_t now = rte_rdtsc();
      if (now >= next_periodic_tsc) {
        next_periodic_tsc += period;
        if (next_periodic_tsc <= now) next_periodic_tsc = now + period;  // after a long stall
        hooks.periodic(hooks.nf, *ctx);
      }
    }
    if (work) {
      empty_polls = 0;
      continue;
    }
    rte_pause();
    ++empty_polls;
    if (shm_ != nullptr) {
      if (empty_polls >= kEmptyPollsBeforeSharedSleep) Sleep();
    } else if (idle_sleep_us_ != 0 && empty_polls >= kEmptyPollsBeforeSleep) {
      usleep(idle_sleep_us_);
    }
  }
  return engine_gone_ ? Exit::kEngineGone : Exit::kStopped;
}

void Loop::Sleep() {
  const uint32_t seq = __atomic_load_n(&shm_->wake_seq, __ATOMIC_ACQUIRE);
  __atomic_store_n(&shm_->sleeping, 1, __ATOMIC_RELAXED);
  // Pairs with the engine's fence between its enqueue and its load of
  // `sleeping`: either it sees us asleep, or we see its packets here.
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (rte_ring_empty(rx_)) {
    const timespec timeout = {0, kSleepCheckMs * 1'000'000L};
    // Returns at once if wake_seq moved since we read it (EAGAIN), on a
    // wake-up, on a signal (EINTR) or after the timeout.
    syscall(SYS_futex, &shm_->wake_seq, FUTEX_WAIT, seq, &timeout, nullptr, 0);
  }
  __atomic_store_n(&shm_->sleeping, 0, __ATOMIC_RELAXED);
}

bool Loop::Finish(const NfHooks& hooks, NfStats* stats, unsigned timeout_s) {
  finish_deadline_tsc_ = rte_rdtsc() + uint64_t{timeout_s} * rte_get_tsc_hz();
  while (!TimeToStop()) {
    if (Poll(hooks, stats) != 0) continue;
    // Nothing new can arrive on rx; done once the engine has emptied tx.
    if (rte_ring_empty(rx_) && rte_ring_empty(tx_)) return true;
    rte_pause();
  }
  return false;
}

int RunNf(int argc, char** argv, const NfHooks& hooks) {
  const std::string program = ProgramName(argc, argv);
  absl::StatusOr<NfOptions> opts = ParseNfOptions(argc, argv);
  if (opts.ok() && !opts->help && hooks.init == nullptr && !opts->nf_args.empty()) {
    opts = absl::InvalidArgumentError(
        absl::StrCat("unknown argument \"", opts->nf_args.front(), "\""));
  }
  if (!opts.ok()) {
    Print(program, opts.status().message());
    std::fputs(ShortUsage(program).c_str(), stderr);
    return kExitUsage;
  }
  if (opts->help) {
    std::fputs(UsageText(program, hooks.usage).c_str(), stdout);
    return kExitOk;
  }
  InstallSignalHandlers();

  NfContext ctx;
  ctx.program = program;
  ctx.engine = opts->engine;
  ctx.service = opts->service;

  // 1. Connect. No engine: fail at once.
  const EnginePaths paths = PathsForEngine(ctx.engine);
  absl::StatusOr<EngineConnection> conn = EngineConnection::Connect(paths.control_socket);
  if (!conn.ok()) {
    Print(program, absl::StrCat("no engine \"", ctx.engine, "\" is running (",
                                conn.status().message(), ")"));
    return kExitFailure;
  }

  // 2. Register.
  const unsigned core = opts->core.has_value() ? *opts->core : FirstAllowedCpu();
  absl::StatusOr<engine::v1::RegisterNfReply> reply =
      conn->Register(ctx.service, core, opts->shared_core);
  if (!reply.ok()) {
    const absl::Status& s = reply.status();
    const bool transport =
        absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) || absl::IsDataLoss(s);
    Print(program, transport
                       ? absl::StrCat("engine \"", ctx.engine,
                                      "\" did not complete the registration: ", s.message())
                       : absl::StrCat("engine \"", ctx.engine, "\" refused to register service \"",
                                      ctx.service, "\": ", s.message()));
    return kExitFailure;
  }
  ctx.instance_id = reply->instance_id();
  ctx.service_id = reply->service_id();
  if (StopRequested()) return kExitOk;

  // 3. Attach to the engine's shared memory. From here on EAL must be
  // cleaned up on every way out; the connection is closed first so that
  // the engine drops the registration at once.
  bool eal_up = false;
  auto finish = [&](int code, absl::string_view message) {
    conn->Close();
    if (eal_up) rte_eal_cleanup();
    if (!message.empty()) Print(program, message);
    return code;
  };
  absl::StatusOr<Attachment> at = Attach(program, ctx.engine, *reply, core, &eal_up);
  if (!at.ok()) return finish(kExitFailure, at.status().message());
  pkt_meta_offset = at->meta_offset;
  ctx.cpu = core;
  ctx.socket_id = at->socket;
  ctx.pktmbuf_pool = at->pool;
  ctx.tx_ring_ = at->tx;
  ctx.periodic_interval = std::chrono::milliseconds(hooks.periodic_ms);
  ctx.counter_values_ = at->shm->counters;
  if (StopRequested()) return finish(kExitOk, "");

  // The NF's own setup, before any traffic comes.
  if (hooks.init != nullptr) {
    ctx.counters_open_ = true;
    absl::Status s = hooks.init(hooks.nf, ctx, opts->nf_args);
    ctx.counters_open_ = false;
    if (ctx.periodic_interval.count() <= 0) {
      s = absl::FailedPreconditionError("NfContext::periodic_interval must be positive");
    }
    if (!s.ok()) {
      const bool usage = absl::IsInvalidArgument(s);
      const int code = finish(usage ? kExitUsage : kExitFailure, s.message());
      if (usage) std::fputs(ShortUsage(program).c_str(), stderr);
      return code;
    }
  }

  // 4. Ready: the engine starts routing to our rx ring.
  if (absl::Status s = conn->Ready(ctx.counter_names()); !s.ok()) {
    return finish(kExitFailure, absl::StrCat("engine \"", ctx.engine,
                                             "\" did not accept the NF as ready: ", s.message()));
  }
  Print(program, absl::StrCat("instance ", ctx.instance_id, " of service \"", ctx.service,
                              "\" (id ", ctx.service_id, ") running on CPU ", ctx.cpu));

  // 5. Poll until told to stop or the engine goes away.
  Loop loop(at->rx, at->tx, &*conn, opts->idle_sleep_us, opts->shared_core ? at->shm : nullptr);
  const Loop::Exit exit = loop.Run(hooks, &ctx);
  if (exit == Loop::Exit::kStopped) {
    // A clean stop loses nothing: the engine stops routing here, then the
    // NF finishes what it was given before it lets go of the connection.
    if (absl::Status s = conn->Drain(); !s.ok()) {
      Print(program, absl::StrCat("engine \"", ctx.engine,
                                  "\" did not accept the drain; stopping at once: ", s.message()));
    } else if (!loop.Finish(hooks, &ctx.stats, kFinishTimeoutSeconds)) {
      Print(program, absl::StrCat("could not finish the packets in hand within ",
                                  kFinishTimeoutSeconds, " s; stopping anyway"));
    }
  }
  if (hooks.shutdown != nullptr) hooks.shutdown(hooks.nf);
  if (exit == Loop::Exit::kEngineGone) {
    return finish(kExitFailure, absl::StrCat("engine \"", ctx.engine, "\" went away"));
  }
  return finish(kExitOk, "");
}

}  // namespace internal

void RequestStop() { internal::g_stop.store(true, std::memory_order_relaxed); }

absl::StatusOr<Counter> NfContext::AddCounter(absl::string_view name) {
  if (!counters_open_) {
    return absl::FailedPreconditionError("AddCounter: counters are declared in the Init hook only");
  }
  const std::string field = absl::StrCat("counter \"", absl::CHexEscape(name), "\"");
  if (absl::Status s = ValidateCounterName(field, name); !s.ok()) return s;
  for (const std::string& n : counter_names_) {
    if (n == name) return absl::InvalidArgumentError(absl::StrCat(field, ": declared twice"));
  }
  if (counter_names_.size() == ONVM_STATS_MAX_CUSTOM) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": an NF may declare at most ", ONVM_STATS_MAX_CUSTOM, " counters"));
  }
  if (counter_values_ == nullptr) {
    return absl::FailedPreconditionError("AddCounter: the engine gave no counters memzone");
  }
  counter_names_.emplace_back(name);
  return Counter(&counter_values_[counter_names_.size() - 1]);
}

absl::StatusOr<uint16_t> NfContext::ChainId(absl::string_view name) const {
  absl::StatusOr<std::unique_ptr<StatsReader>> reader = StatsReader::Open(PathsForEngine(engine));
  if (!reader.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot read the chains of engine \"", engine,
                                               "\": ", reader.status().message()));
  }
  for (const ChainStats& c : (*reader)->chains()) {
    if (c.name == name) return static_cast<uint16_t>(c.chain_id);
  }
  return absl::NotFoundError(
      absl::StrCat("engine \"", engine, "\" has no chain \"", absl::CHexEscape(name), "\""));
}

uint16_t NfContext::Alloc(rte_mbuf** mbufs, uint16_t n) {
  if (n == 0 || rte_pktmbuf_alloc_bulk(pktmbuf_pool, mbufs, n) != 0) return 0;
  // A free mbuf carries no owner mark (the engine's invariant); from here
  // on it is held by this instance, as if the engine had handed it over.
  const int offset = internal::pkt_meta_offset;
  const auto owner = static_cast<uint16_t>(instance_id);
  for (uint16_t i = 0; i < n; ++i) {
    auto* meta = RTE_MBUF_DYNFIELD(mbufs[i], offset, onvm_pkt_meta*);
    *meta = onvm_pkt_meta{};
    meta->owner = owner;
  }
  return n;
}

uint16_t NfContext::Send(rte_mbuf* const* mbufs, uint16_t n, const Origin& from) {
  const int offset = internal::pkt_meta_offset;
  const uint64_t now = rte_rdtsc();
  for (uint16_t i = 0; i < n; ++i) {
    auto* meta = RTE_MBUF_DYNFIELD(mbufs[i], offset, onvm_pkt_meta*);
    meta->chain = from.chain;
    meta->hop = from.hop;
    meta->action = static_cast<uint8_t>(from.action);
    meta->arg = from.arg;
    meta->hops = 0;
    meta->in_port = UINT8_MAX;  // made here, not received on a port
    meta->rx_tsc = now;
  }
  // The owner mark stays: the engine clears it when it takes the packet.
  const auto sent = static_cast<uint16_t>(
      rte_ring_enqueue_burst(tx_ring_, reinterpret_cast<void* const*>(mbufs), n, nullptr));
  stats.originated += sent;
  return sent;
}

void NfContext::Free(rte_mbuf* const* mbufs, uint16_t n) {
  const int offset = internal::pkt_meta_offset;
  for (uint16_t i = 0; i < n; ++i) RTE_MBUF_DYNFIELD(mbufs[i], offset, onvm_pkt_meta*)->owner = 0;
  rte_pktmbuf_free_bulk(const_cast<rte_mbuf**>(mbufs), n);
}

}  // namespace onvm
