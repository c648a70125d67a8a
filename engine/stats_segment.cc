#include "stats_segment.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace onvm::engine {
namespace {

void CopyName(char* dst, const std::string& src) {
  std::memset(dst, 0, ONVM_STATS_NAME_LEN);
  std::memcpy(dst, src.data(), std::min<size_t>(src.size(), ONVM_STATS_NAME_LEN - 1));
}

void BeginWrite(uint64_t* generation) {
  __atomic_store_n(generation, *generation + 1, __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_RELEASE);
}

void EndWrite(uint64_t* generation) {
  __atomic_thread_fence(__ATOMIC_RELEASE);
  __atomic_store_n(generation, *generation + 1, __ATOMIC_RELAXED);
}

}  // namespace

uint64_t RealtimeNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

absl::StatusOr<std::unique_ptr<StatsSegment>> StatsSegment::Create(const std::string& shm_name,
                                                                   const std::string& engine_name,
                                                                   const std::string& boot_id,
                                                                   uint64_t tsc_hz) {
  shm_unlink(shm_name.c_str());
  int fd = shm_open(shm_name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("stats segment ", shm_name, ": shm_open: ", std::strerror(errno)));
  }
  const size_t size = sizeof(onvm_stats_segment);
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    const int err = errno;
    close(fd);
    shm_unlink(shm_name.c_str());
    return absl::InternalError(absl::StrCat("stats segment: ftruncate: ", std::strerror(err)));
  }
  void* mem = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (mem == MAP_FAILED) {
    shm_unlink(shm_name.c_str());
    return absl::InternalError(absl::StrCat("stats segment: mmap: ", std::strerror(errno)));
  }
  auto* seg = static_cast<onvm_stats_segment*>(mem);
  std::memset(seg, 0, size);
  onvm_stats_header& h = seg->header;
  h.layout_version = ONVM_STATS_LAYOUT_VERSION;
  h.header_size = sizeof(onvm_stats_header);
  h.total_size = size;
  CopyName(h.engine_name, engine_name);
  std::memcpy(h.boot_id, boot_id.data(), std::min(boot_id.size(), sizeof(h.boot_id) - 1));
  h.start_time_ns = RealtimeNs();
  h.heartbeat_ns = h.start_time_ns;
  h.max_ports = ONVM_STATS_MAX_PORTS;
  h.max_instances = ONVM_STATS_MAX_INSTANCES;
  h.max_chains = ONVM_STATS_MAX_CHAINS;
  h.max_rules = ONVM_STATS_MAX_RULES;
  h.max_lcores = ONVM_STATS_MAX_LCORES;
  h.max_mempools = ONVM_STATS_MAX_MEMPOOLS;
  h.tsc_hz = tsc_hz;
  // Magic last: a reader that sees it sees a complete header.
  __atomic_store_n(&h.magic, ONVM_STATS_MAGIC, __ATOMIC_RELEASE);
  return std::unique_ptr<StatsSegment>(new StatsSegment(shm_name, seg));
}

StatsSegment::~StatsSegment() {
  munmap(seg_, sizeof(onvm_stats_segment));
  shm_unlink(shm_name_.c_str());
}

void StatsSegment::ClaimPort(uint32_t slot, uint32_t port_id, const std::string& name) {
  onvm_stats_port& p = seg_->ports[slot];
  BeginWrite(&p.generation);
  p.port_id = port_id;
  CopyName(p.name, name);
  p.rx_packets = p.rx_bytes = p.tx_packets = p.tx_bytes = 0;
  p.rx_missed = p.tx_dropped = p.no_match_dropped = 0;
  p.in_use = 1;
  EndWrite(&p.generation);
}

void StatsSegment::ClaimInstance(uint32_t slot, uint32_t instance_id, int32_t pid,
                                 uint32_t service_id, const std::string& service) {
  onvm_stats_instance& s = seg_->instances[slot];
  BeginWrite(&s.generation);
  s.instance_id = instance_id;
  s.pid = pid;
  s.service_id = service_id;
  CopyName(s.service, service);
  s.rx_packets = s.tx_packets = s.dropped_ring_full = s.dropped_by_handler = 0;
  s.rx_ring_count = s.tx_ring_count = s.reclaimed = 0;
  s.custom_count = 0;
  std::memset(s.custom_names, 0, sizeof(s.custom_names));
  std::memset(s.custom, 0, sizeof(s.custom));
  s.state = ONVM_STATS_INSTANCE_STARTING;
  EndWrite(&s.generation);
}

// A state change keeps the generation: it is the same instance.
void StatsSegment::SetInstanceState(uint32_t slot, onvm_stats_instance_state state) {
  __atomic_store_n(&seg_->instances[slot].state, uint32_t{state}, __ATOMIC_RELEASE);
}

void StatsSegment::ReleaseInstance(uint32_t slot) {
  onvm_stats_instance& s = seg_->instances[slot];
  BeginWrite(&s.generation);
  s.state = ONVM_STATS_INSTANCE_FREE;
  EndWrite(&s.generation);
}

onvm_stats_chain* StatsSegment::ClaimChain(uint32_t slot, uint32_t chain_id,
                                           const std::string& name) {
  onvm_stats_chain& c = seg_->chains[slot];
  BeginWrite(&c.generation);
  c.chain_id = chain_id;
  CopyName(c.name, name);
  c.packets = c.bytes = c.completed = c.latency_sum_ns = 0;
  for (uint64_t& b : c.latency_buckets) b = 0;
  c.in_use = 1;
  EndWrite(&c.generation);
  return &c;
}

void StatsSegment::ReleaseChain(uint32_t slot) {
  onvm_stats_chain& c = seg_->chains[slot];
  BeginWrite(&c.generation);
  c.in_use = 0;
  EndWrite(&c.generation);
}

onvm_stats_rule* StatsSegment::ClaimRule(uint32_t slot, const std::string& name) {
  onvm_stats_rule& r = seg_->rules[slot];
  BeginWrite(&r.generation);
  CopyName(r.name, name);
  r.packets = r.bytes = 0;
  r.in_use = 1;
  EndWrite(&r.generation);
  onvm_stats_header& h = seg_->header;
  if (slot + 1 > h.rule_slots_used)
    __atomic_store_n(&h.rule_slots_used, slot + 1, __ATOMIC_RELEASE);
  return &r;
}

void StatsSegment::ReleaseRule(uint32_t slot) {
  onvm_stats_rule& r = seg_->rules[slot];
  BeginWrite(&r.generation);
  r.in_use = 0;
  EndWrite(&r.generation);
}

void StatsSegment::ClaimLcore(uint32_t slot, uint32_t lcore_id, onvm_stats_lcore_role role,
                              int32_t socket, uint32_t cpu) {
  onvm_stats_lcore& l = seg_->lcores[slot];
  BeginWrite(&l.generation);
  l.lcore_id = lcore_id;
  l.role = role;
  l.socket = socket;
  l.cpu = cpu;
  l.busy_cycles = l.total_cycles = 0;
  l.in_use = 1;
  EndWrite(&l.generation);
}

void StatsSegment::ClaimMempool(uint32_t slot, const std::string& name, int32_t socket,
                                uint64_t size, uint64_t cache_size) {
  onvm_stats_mempool& m = seg_->mempools[slot];
  BeginWrite(&m.generation);
  CopyName(m.name, name);
  m.socket = socket;
  m.size = size;
  m.cache_size = cache_size;
  m.mbufs_in_use = 0;
  m.in_use = 1;
  EndWrite(&m.generation);
}

void StatsSegment::SetMempoolInUse(uint32_t slot, uint64_t in_use) {
  __atomic_store_n(&seg_->mempools[slot].mbufs_in_use, in_use, __ATOMIC_RELAXED);
}

void StatsSegment::SetRingCounts(uint32_t slot, uint64_t rx, uint64_t tx) {
  __atomic_store_n(&seg_->instances[slot].rx_ring_count, rx, __ATOMIC_RELAXED);
  __atomic_store_n(&seg_->instances[slot].tx_ring_count, tx, __ATOMIC_RELAXED);
}

void StatsSegment::AddReclaimed(uint32_t slot, uint64_t n) {
  onvm_stats_add(&seg_->instances[slot].reclaimed, n);
}

void StatsSegment::SetCustomNames(uint32_t slot, const std::vector<std::string>& names) {
  onvm_stats_instance& s = seg_->instances[slot];
  BeginWrite(&s.generation);
  std::memset(s.custom_names, 0, sizeof(s.custom_names));
  for (size_t i = 0; i < names.size() && i < ONVM_STATS_MAX_CUSTOM; ++i) {
    std::memcpy(s.custom_names[i], names[i].data(),
                std::min<size_t>(names[i].size(), ONVM_STATS_CUSTOM_NAME_LEN - 1));
  }
  s.custom_count = static_cast<uint32_t>(std::min<size_t>(names.size(), ONVM_STATS_MAX_CUSTOM));
  EndWrite(&s.generation);
}

void StatsSegment::SetCustomValues(uint32_t slot, const uint64_t* values, uint32_t n) {
  onvm_stats_instance& s = seg_->instances[slot];
  for (uint32_t i = 0; i < n && i < ONVM_STATS_MAX_CUSTOM; ++i) {
    __atomic_store_n(&s.custom[i], __atomic_load_n(&values[i], __ATOMIC_RELAXED), __ATOMIC_RELAXED);
  }
}

void StatsSegment::Heartbeat() {
  __atomic_store_n(&seg_->header.heartbeat_ns, RealtimeNs(), __ATOMIC_RELAXED);
}

}  // namespace onvm::engine
