#include "engine.h"

#include <numa.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_version.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "onvm/abi.h"
#include "onvm/names.h"
#include "onvm/nf_shm.h"
#include "onvm/pkt_meta.h"

namespace onvm::engine {
namespace {

using onvm::engine::v1::Response;

constexpr uint32_t kMaxQsbrThreads = 64;

std::string NewBootId() {
  std::ifstream in("/proc/sys/kernel/random/uuid");
  std::string id;
  std::getline(in, id);
  return id;
}

Response Error(const absl::Status& s) {
  Response r;
  r.set_code(static_cast<int>(s.code()));
  r.set_message(std::string(s.message()));
  return r;
}

void Log(const std::string& line) { std::fprintf(stderr, "onvm-engine: %s\n", line.c_str()); }

const char* LcoreRoleText(onvm_stats_lcore_role role) {
  switch (role) {
    case ONVM_LCORE_CONTROL:
      return "control";
    case ONVM_LCORE_WORKER:
      return "worker";
    case ONVM_LCORE_RX:
      return "rx";
    case ONVM_LCORE_TX:
      return "tx";
    default:
      return "none";
  }
}

// The lcore id every NF initialises EAL with. An NF gives it up right after
// attaching (rte_thread_unregister) and polls as LCORE_ID_ANY, so NFs share
// no per-lcore mempool cache with the engine or each other, their number is
// not bounded by RTE_MAX_LCORE, and a killed NF strands no mbufs in a cache.
// The engine must not use the id itself while an NF initialises.
constexpr unsigned kNfLcoreId = RTE_MAX_LCORE - 1;

uint32_t FirstCpu(unsigned lcore) {
  const rte_cpuset_t set = rte_lcore_cpuset(lcore);
  for (uint32_t cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) return cpu;
  }
  return 0;
}

}  // namespace

void Engine::QsbrDeleter::operator()(rte_rcu_qsbr* v) const { rte_free(v); }

absl::StatusOr<std::unique_ptr<Engine>> Engine::Start(const EngineOptions& options) {
  std::unique_ptr<Engine> engine(new Engine(options));
  if (absl::Status s = engine->Init(); !s.ok()) return s;
  return engine;
}

absl::Status Engine::Init() {
  const EnginePaths paths = PathsForEngine(options_.name);
  boot_id_ = NewBootId();
  auto stats = StatsSegment::Create(paths.stats_shm, options_.name, boot_id_, rte_get_tsc_hz());
  if (!stats.ok()) return stats.status();
  stats_ = *std::move(stats);

  static const rte_mbuf_dynfield kMetaField = {ONVM_PKT_META_DYNFIELD, sizeof(onvm_pkt_meta),
                                               alignof(onvm_pkt_meta), 0};
  meta_offset_ = rte_mbuf_dynfield_register(&kMetaField);
  if (meta_offset_ < 0) {
    return absl::InternalError(
        absl::StrCat("cannot register mbuf dynamic field: ", rte_strerror(rte_errno)));
  }

  auto pools = Mempools::Create(stats_.get(), options_.mbufs, static_cast<int>(rte_socket_id()));
  if (!pools.ok()) return pools.status();
  mempools_ = *std::move(pools);

  const size_t qsbr_size = rte_rcu_qsbr_get_memsize(kMaxQsbrThreads);
  qsbr_.reset(static_cast<rte_rcu_qsbr*>(rte_zmalloc("onvm_qsbr", qsbr_size, RTE_CACHE_LINE_SIZE)));
  if (qsbr_ == nullptr || rte_rcu_qsbr_init(qsbr_.get(), kMaxQsbrThreads) != 0) {
    return absl::InternalError("cannot set up RCU (rte_rcu_qsbr)");
  }

  auto ports =
      StartPorts(options_.ports, [this](int socket) { return mempools_->ForSocket(socket); });
  if (!ports.ok()) return ports.status();
  ports_ = *std::move(ports);
  std::vector<int> port_sockets;
  for (uint32_t i = 0; i < ports_.size(); ++i) {
    stats_->ClaimPort(i, ports_[i].port_id, ports_[i].name);
    port_entries_.push_back({ports_[i].name, ports_[i].port_id, &stats_->get()->ports[i]});
    port_sockets.push_back(ports_[i].socket);
  }

  std::vector<LcoreSpec> workers;
  unsigned lcore;
  RTE_LCORE_FOREACH_WORKER(lcore) {
    workers.push_back({lcore, static_cast<int>(rte_lcore_to_socket_id(lcore))});
  }
  if (workers.empty()) {
    return absl::InvalidArgumentError(
        "--lcores: need at least two lcores (control and one worker)");
  }
  if (rte_lcore_is_enabled(kNfLcoreId)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--lcores: lcore id ", kNfLcoreId, " is reserved for NFs"));
  }
  if (workers.size() + 1 > ONVM_STATS_MAX_LCORES || workers.size() > kMaxQsbrThreads) {
    return absl::InvalidArgumentError(absl::StrCat("--lcores: at most ", ONVM_STATS_MAX_LCORES - 1,
                                                   " worker lcores are supported"));
  }
  layout_ = PlanLcores(workers, port_sockets);

  nfs_ =
      std::make_unique<NfTable>(stats_.get(), options_.ring_size, meta_offset_, layout_.shared());
  auto rules = BuildRuleTable(config_, port_entries_);
  if (!rules.ok()) return rules.status();
  rules_ = *std::move(rules);
  Publish();
  if (absl::Status s = LaunchWorkers(); !s.ok()) return s;

  mkdir(paths.run_dir.c_str(), 0755);
  auto control = ControlServer::Listen(
      paths.control_socket,
      [this](int conn_id, const onvm::engine::v1::Request& r) { return Handle(conn_id, r); },
      [this](int conn_id) { OnConnectionClosed(conn_id); });
  if (!control.ok()) return control.status();
  control_ = *std::move(control);
  Log(absl::StrCat("engine \"", options_.name, "\" up: ", ports_.size(), " port(s), ",
                   DescribeLayout(), ", control socket ", paths.control_socket, ", boot id ",
                   boot_id_));
  return absl::OkStatus();
}

absl::Status Engine::LaunchWorkers() {
  const unsigned main = rte_get_main_lcore();
  stats_->ClaimLcore(0, main, ONVM_LCORE_CONTROL,
                     static_cast<int32_t>(rte_lcore_to_socket_id(main)), FirstCpu(main));
  if (layout_.shared()) {
    // Packets for a port that another lcore transmits on reach it through
    // that lcore's inbound ring (several producers, one consumer).
    for (uint16_t i = 0; i < layout_.lcores.size(); ++i) {
      rte_ring* ring = nullptr;
      if (layout_.lcores[i].serves_nfs()) {
        ring = rte_ring_create(absl::StrCat("onvm_lcore_in_", i).c_str(), options_.ring_size,
                               layout_.lcores[i].socket, RING_F_SC_DEQ);
        if (ring == nullptr) {
          return absl::ResourceExhaustedError(
              absl::StrCat("cannot create an inbound ring: ", rte_strerror(rte_errno)));
        }
      }
      inbound_.push_back(ring);
    }
  }
  for (uint16_t i = 0; i < layout_.lcores.size(); ++i) {
    const PacketLcore& lc = layout_.lcores[i];
    stats_->ClaimLcore(i + 1u, lc.lcore_id, lc.role, lc.socket, FirstCpu(lc.lcore_id));
    auto ctx = std::make_unique<WorkerContext>();
    ctx->snapshot = &current_;
    ctx->qsbr = qsbr_.get();
    ctx->qsbr_thread_id = i;
    ctx->meta_offset = meta_offset_;
    ctx->engine_stats = &stats_->header();
    ctx->idle_sleep_us = options_.idle_sleep_us;
    ctx->stop = &worker_stop_;
    ctx->lcore_stats = &stats_->get()->lcores[i + 1];
    ctx->index = i;
    ctx->polls_ports = lc.polls_ports();
    ctx->serves_nfs = lc.serves_nfs();
    ctx->shared = layout_.shared();
    ctx->rx_ports = lc.rx_ports;
    ctx->port_tx_lcore = &layout_.port_tx_lcore;
    ctx->inbound = &inbound_;
    SetLatencyBounds(rte_get_tsc_hz(), ctx.get());
    if (rte_eal_remote_launch(WorkerMain, ctx.get(), lc.lcore_id) != 0) {
      return absl::InternalError(absl::StrCat("cannot launch lcore ", lc.lcore_id));
    }
    workers_.push_back(std::move(ctx));
  }
  return absl::OkStatus();
}

std::string Engine::DescribeLayout() const {
  std::string out;
  for (const PacketLcore& lc : layout_.lcores) {
    std::vector<std::string> rx, tx;
    for (uint16_t p : lc.rx_ports) rx.push_back(ports_[p].name);
    for (uint16_t p : lc.tx_ports) tx.push_back(ports_[p].name);
    absl::StrAppend(&out, out.empty() ? "" : "; ", "lcore ", lc.lcore_id, " ",
                    LcoreRoleText(lc.role), " (socket ", lc.socket, ", rx [",
                    absl::StrJoin(rx, ","), "], tx [", absl::StrJoin(tx, ","), "])");
  }
  return out;
}

Engine::~Engine() {
  control_.reset();
  worker_stop_.store(true);
  for (const auto& ctx : workers_) rte_eal_wait_lcore(layout_.lcores[ctx->index].lcore_id);
  StopPorts(ports_);
  nfs_.reset();
  for (rte_ring* ring : inbound_) {
    if (ring == nullptr) continue;
    void* objs[64];
    unsigned n;
    while ((n = rte_ring_dequeue_burst(ring, objs, 64, nullptr)) != 0) {
      rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(objs), n);
    }
    rte_ring_free(ring);
  }
  current_.store(nullptr);
  published_.reset();
  mempools_.reset();  // last: everything above returns mbufs to it
}

void Engine::Run(const std::atomic<bool>& stop) {
  onvm_stats_lcore& self = stats_->get()->lcores[0];
  uint64_t last = rte_rdtsc();
  while (!stop.load()) {
    // The control thread sleeps in poll(); busy counts the time outside it
    // (refreshing counters). Requests are served inside PollOnce and count
    // as total only: the figure is a lower bound.
    const uint64_t before_wait = rte_rdtsc();
    control_->PollOnce(100);
    const uint64_t after_wait = rte_rdtsc();
    onvm_stats_add(&self.busy_cycles, before_wait - last);
    onvm_stats_add(&self.total_cycles, after_wait - last);
    last = after_wait;
    stats_->Heartbeat();
    RefreshPortCounters();
    RefreshGauges();
  }
}

void Engine::RefreshGauges() {
  mempools_->RefreshStats();
  for (const NfSlot& s : nfs_->slots()) {
    if (s.state == NfState::kFree) continue;
    stats_->SetRingCounts(s.instance_id - 1, rte_ring_count(s.rx), rte_ring_count(s.tx));
    if (s.custom_count != 0) {
      stats_->SetCustomValues(s.instance_id - 1,
                              static_cast<const onvm_nf_shm*>(s.shm->addr)->counters,
                              s.custom_count);
    }
  }
}

void Engine::RefreshPortCounters() {
  for (uint32_t i = 0; i < ports_.size(); ++i) {
    rte_eth_stats st{};
    if (rte_eth_stats_get(ports_[i].port_id, &st) == 0) {
      // rx_missed has one writer: this thread.
      __atomic_store_n(&stats_->get()->ports[i].rx_missed, st.imissed, __ATOMIC_RELAXED);
    }
  }
}

void Engine::Publish() {
  std::unique_ptr<Snapshot> next = BuildSnapshot(config_, port_entries_, nfs_->Running(), rules_,
                                                 published_.get(), &chain_stats_);
  current_.store(next.get(), std::memory_order_release);
  if (!workers_.empty()) {
    // Wait until every worker has passed a quiescent point: from then on
    // none can hold a pointer into the previous snapshot.
    rte_rcu_qsbr_synchronize(qsbr_.get(), RTE_QSBR_THRID_INVALID);
  }
  published_ = std::move(next);
}

Response Engine::Handle(int conn_id, const onvm::engine::v1::Request& request) {
  switch (request.body_case()) {
    case onvm::engine::v1::Request::kRegisterNf:
      return RegisterNf(conn_id, request.register_nf());
    case onvm::engine::v1::Request::kNfReady:
      return NfReady(conn_id, request.nf_ready());
    case onvm::engine::v1::Request::kNfDrain:
      return NfDrain(conn_id);
    case onvm::engine::v1::Request::kDrainInstance:
      return DrainInstance(request.drain_instance().instance_id());
    case onvm::engine::v1::Request::kSetConfig:
      return SetConfig(request.set_config());
    case onvm::engine::v1::Request::kGetState:
      return GetState();
    default:
      return Error(absl::InvalidArgumentError("request has no body"));
  }
}

Response Engine::RegisterNf(int conn_id, const onvm::engine::v1::RegisterNf& req) {
  if (nfs_->ByConnection(conn_id) != nullptr) {
    return Error(absl::FailedPreconditionError("this connection already registered an NF"));
  }
  if (req.abi_version() != ONVM_ABI_VERSION || req.dpdk_version() != rte_version()) {
    return Error(absl::FailedPreconditionError(
        absl::StrCat("version mismatch: NF has onvm ABI ", req.abi_version(), " and ",
                     req.dpdk_version(), ", engine has onvm ABI ", ONVM_ABI_VERSION, " and ",
                     rte_version(), "; rebuild the NF against this engine's SDK")));
  }
  uint32_t service_id = 0;
  for (const auto& s : config_.services()) {
    if (s.metadata().name() == req.service()) service_id = s.status().id();
  }
  if (service_id == 0) {
    return Error(absl::NotFoundError(
        absl::StrCat("unknown service \"", req.service(), "\": engine \"", options_.name,
                     "\" has no such service configured (create it with onvmctl apply)")));
  }
  // The NF's rings and pool go on its CPU's NUMA node.
  const int socket =
      req.cpu() >= 0 && numa_available() >= 0 ? numa_node_of_cpu(req.cpu()) : SOCKET_ID_ANY;
  absl::StatusOr<rte_mempool*> pool = mempools_->ForSocket(socket);
  if (!pool.ok()) return Error(pool.status());
  auto slot = nfs_->Allocate(conn_id, req.service(), service_id, req.pid(), req.cpu(), socket,
                             layout_.TxLcoreFor(nfs_->NextInstanceId(), socket), req.shared_core());
  if (!slot.ok()) return Error(slot.status());
  Log(absl::StrCat("NF pid ", req.pid(), " registered as ", req.service(), "-",
                   (*slot)->instance_id));
  Response r;
  auto* reply = r.mutable_register_nf();
  reply->set_instance_id((*slot)->instance_id);
  reply->set_rx_ring(NfTable::RxRingName((*slot)->instance_id - 1));
  reply->set_tx_ring(NfTable::TxRingName((*slot)->instance_id - 1));
  reply->set_pktmbuf_pool((*pool)->name);
  reply->set_meta_dynfield(ONVM_PKT_META_DYNFIELD);
  reply->set_file_prefix(PathsForEngine(options_.name).file_prefix);
  reply->set_service_id(service_id);
  reply->set_lcore_id(kNfLcoreId);
  reply->set_shm_memzone(NfTable::ShmName((*slot)->instance_id - 1));
  return r;
}

Response Engine::NfReady(int conn_id, const onvm::engine::v1::NfReady& req) {
  NfSlot* slot = nfs_->ByConnection(conn_id);
  if (slot == nullptr || slot->state != NfState::kStarting) {
    return Error(absl::FailedPreconditionError("nf_ready before a successful register_nf"));
  }
  if (req.counters_size() > ONVM_STATS_MAX_CUSTOM) {
    return Error(absl::InvalidArgumentError(absl::StrCat(
        "counters: ", req.counters_size(), " declared, at most ", ONVM_STATS_MAX_CUSTOM)));
  }
  std::vector<std::string> names;
  for (int i = 0; i < req.counters_size(); ++i) {
    const std::string field = absl::StrCat("counters[", i, "]");
    if (absl::Status s = ValidateCounterName(field, req.counters(i)); !s.ok()) return Error(s);
    for (const std::string& n : names) {
      if (n == req.counters(i)) {
        return Error(
            absl::InvalidArgumentError(absl::StrCat(field, ": '", n, "' is declared twice")));
      }
    }
    names.push_back(req.counters(i));
  }
  stats_->SetCustomNames(slot->instance_id - 1, names);
  slot->custom_count = static_cast<uint32_t>(names.size());
  nfs_->MarkRunning(slot);
  Publish();
  Log(absl::StrCat(slot->service, "-", slot->instance_id, " running"));
  return Response();
}

Response Engine::NfDrain(int conn_id) {
  NfSlot* slot = nfs_->ByConnection(conn_id);
  if (slot == nullptr || slot->state == NfState::kStarting) {
    return Error(absl::FailedPreconditionError("nf_drain before nf_ready"));
  }
  return Drain(slot);
}

Response Engine::DrainInstance(uint32_t instance_id) {
  NfSlot* slot = nfs_->ById(instance_id);
  if (slot == nullptr) {
    return Error(absl::NotFoundError(
        absl::StrCat("drain_instance.instance_id: no instance ", instance_id, " is registered")));
  }
  if (slot->state == NfState::kStarting) {
    return Error(absl::FailedPreconditionError(
        absl::StrCat("drain_instance.instance_id: instance ", instance_id, " is still starting")));
  }
  return Drain(slot);
}

Response Engine::Drain(NfSlot* slot) {
  if (slot->state == NfState::kRunning) {
    nfs_->MarkDraining(slot);
    // Returns once no lcore can still enqueue on its rx ring.
    Publish();
    Log(absl::StrCat(slot->service, "-", slot->instance_id, " draining"));
  }
  return Response();
}

Response Engine::SetConfig(const onvm::engine::v1::SetConfig& req) {
  if (absl::Status s = ValidateConfig(req, port_entries_); !s.ok()) return Error(s);
  // Stats slots for the new names, then the rules, before anything changes:
  // a failure leaves the running config in place. Unchanged rules keep their
  // compiled table (and so their slots).
  std::vector<std::string> chain_names;
  for (const auto& c : req.chains()) chain_names.push_back(c.metadata().name());
  std::vector<std::string> rule_names;
  for (const auto& r : req.rules()) rule_names.push_back(r.metadata().name());
  auto chain_plan = chain_slots_.Prepare(chain_names);
  if (!chain_plan.ok()) return Error(chain_plan.status());
  auto rule_plan = rule_slots_.Prepare(rule_names);
  if (!rule_plan.ok()) return Error(rule_plan.status());

  onvm_stats_segment* seg = stats_->get();
  std::shared_ptr<const RuleTable> rules = rules_;
  std::string compiled = "unchanged";
  if (!SameRules(config_, req)) {
    RuleStats rule_stats;
    for (const auto& [name, slot] : rule_plan->slots) rule_stats[name] = &seg->rules[slot];
    const auto start = std::chrono::steady_clock::now();
    auto built = BuildRuleTable(req, port_entries_, &rule_stats);
    if (!built.ok()) return Error(built.status());
    rules = *std::move(built);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    compiled = absl::StrCat("compiled in ", ms.count(), " ms");
  }

  // New names take slots the running snapshot does not write.
  absl::flat_hash_map<std::string, uint32_t> chain_ids;
  for (const auto& c : req.chains()) chain_ids[c.metadata().name()] = c.status().id();
  for (const auto& [slot, name] : chain_plan->claimed) {
    stats_->ClaimChain(slot, chain_ids[name], name);
  }
  for (const auto& [slot, name] : rule_plan->claimed) stats_->ClaimRule(slot, name);
  chain_stats_.clear();
  for (const auto& [name, slot] : chain_plan->slots) chain_stats_[name] = &seg->chains[slot];

  config_ = req;
  rules_ = std::move(rules);
  Publish();
  // The previous snapshot is retired: the slots only it used are free.
  for (uint32_t slot : chain_plan->released) stats_->ReleaseChain(slot);
  for (uint32_t slot : rule_plan->released) stats_->ReleaseRule(slot);
  chain_slots_.Commit(*chain_plan);
  rule_slots_.Commit(*rule_plan);
  __atomic_store_n(&stats_->header().config_generation, req.generation(), __ATOMIC_RELAXED);
  Log(absl::StrCat("config generation ", req.generation(), " applied: ", req.services_size(),
                   " service(s), ", req.chains_size(), " chain(s), ", req.rules_size(),
                   " rule(s) (", compiled, ")"));
  Response r;
  r.mutable_set_config()->set_applied_generation(req.generation());
  return r;
}

Response Engine::GetState() {
  Response r;
  auto* st = r.mutable_state();
  st->set_name(options_.name);
  st->set_boot_id(boot_id_);
  st->set_applied_generation(config_.generation());
  st->set_abi_version(ONVM_ABI_VERSION);
  st->set_dpdk_version(rte_version());
  for (uint32_t i = 0; i < ports_.size(); ++i) *st->add_ports() = DescribePort(ports_[i], i);
  const unsigned main = rte_get_main_lcore();
  auto* control = st->add_lcores();
  control->set_lcore_id(main);
  control->set_role("control");
  control->set_socket(static_cast<int32_t>(rte_lcore_to_socket_id(main)));
  control->set_cpu(FirstCpu(main));
  for (const PacketLcore& lc : layout_.lcores) {
    auto* info = st->add_lcores();
    info->set_lcore_id(lc.lcore_id);
    info->set_role(LcoreRoleText(lc.role));
    info->set_socket(lc.socket);
    info->set_cpu(FirstCpu(lc.lcore_id));
    for (uint16_t p : lc.rx_ports) info->add_rx_ports(ports_[p].name);
    for (uint16_t p : lc.tx_ports) info->add_tx_ports(ports_[p].name);
  }
  for (const NfSlot& s : nfs_->slots()) {
    if (s.state == NfState::kFree) continue;
    auto* inst = st->add_instances();
    inst->set_instance_id(s.instance_id);
    inst->set_service(s.service);
    inst->set_pid(s.pid);
    inst->set_state(s.state == NfState::kRunning    ? onvm::engine::v1::InstanceInfo::RUNNING
                    : s.state == NfState::kDraining ? onvm::engine::v1::InstanceInfo::DRAINING
                                                    : onvm::engine::v1::InstanceInfo::STARTING);
    inst->set_stats_slot(s.instance_id - 1);
    inst->set_cpu(s.cpu);
    if (s.rx != nullptr) inst->set_rx_ring_count(rte_ring_count(s.rx));
  }
  return r;
}

void Engine::OnConnectionClosed(int conn_id) {
  NfSlot* slot = nfs_->ByConnection(conn_id);
  if (slot == nullptr) return;
  const bool was_running = slot->state == NfState::kRunning || slot->state == NfState::kDraining;
  const std::string name = absl::StrCat(slot->service, "-", slot->instance_id);
  slot->state = NfState::kStarting;  // out of Running(): the next snapshot skips it
  if (was_running) Publish();
  const NfTable::Released freed = nfs_->Release(slot, mempools_->all());
  onvm_stats_add(&stats_->header().drops[ONVM_DROP_NF_GONE], freed.on_rings + freed.held);
  Log(absl::StrCat(name, " gone; freed ", freed.on_rings, " packet(s) left on its rings and ",
                   freed.held, " it held"));
}

}  // namespace onvm::engine
