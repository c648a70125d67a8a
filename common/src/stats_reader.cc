#include "onvm/stats_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace onvm {
namespace {

// A writer holds a slot odd only for a few stores, so a handful of attempts
// is plenty; beyond that the slot is skipped rather than spinning.
constexpr int kSeqlockAttempts = 16;

// Loads are acquire loads (a plain load on x86; the reader is not on the
// packet path): inside a seqlock section that keeps the closing load of the
// generation after them without a fence, which ThreadSanitizer cannot model
// (gcc refuses __atomic_thread_fence under -fsanitize=thread).
uint64_t Load(const uint64_t& v) { return __atomic_load_n(&v, __ATOMIC_ACQUIRE); }
uint32_t Load32(const uint32_t& v) { return __atomic_load_n(&v, __ATOMIC_ACQUIRE); }
int32_t LoadI32(const int32_t& v) { return __atomic_load_n(&v, __ATOMIC_ACQUIRE); }

// Copies a fixed-size name field that the engine may not have terminated.
std::string LoadName(const char* field, size_t len) {
  char buf[ONVM_STATS_NAME_LEN];
  const size_t n = len < sizeof(buf) ? len : sizeof(buf);
  for (size_t i = 0; i < n; ++i) buf[i] = __atomic_load_n(&field[i], __ATOMIC_ACQUIRE);
  return std::string(buf, strnlen(buf, n));
}

// Seqlock read: `copy` runs between two loads of `generation` and its result
// counts only if the generation was even and did not move. `copy` must read
// the slot with the acquire loads above only: no later load, the closing
// one included, can then be done before them.
template <typename Copy>
bool ReadConsistent(const uint64_t& generation, Copy copy) {
  for (int attempt = 0; attempt < kSeqlockAttempts; ++attempt) {
    const uint64_t before = __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
    if ((before & 1) != 0) continue;
    copy(before);
    if (__atomic_load_n(&generation, __ATOMIC_ACQUIRE) == before) return true;
  }
  return false;
}

uint64_t RealtimeNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

absl::StatusOr<std::unique_ptr<StatsReader>> StatsReader::Open(const EnginePaths& paths) {
  const int fd = shm_open(paths.stats_shm.c_str(), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) {
      return absl::NotFoundError(
          absl::StrCat("stats segment ", paths.stats_path, " does not exist (engine not running)"));
    }
    return absl::UnavailableError(
        absl::StrCat("cannot open stats segment ", paths.stats_path, ": ", std::strerror(err)));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot stat stats segment ", paths.stats_path, ": ", std::strerror(err)));
  }
  const auto size = static_cast<size_t>(st.st_size);
  // Only the header is needed to tell what the segment is: an engine of
  // another layout version (whose segment has another size) is then named
  // by its version rather than by a size.
  if (size < sizeof(onvm_stats_header)) {
    close(fd);
    // Also what a reader sees while the engine is still sizing the object.
    return absl::UnavailableError(absl::StrCat("stats segment ", paths.stats_path, " has ", size,
                                               " bytes, less than its ", sizeof(onvm_stats_header),
                                               "-byte header"));
  }
  void* addr = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  const int map_err = errno;
  close(fd);  // the mapping keeps the object alive
  if (addr == MAP_FAILED) {
    return absl::UnavailableError(
        absl::StrCat("cannot map stats segment ", paths.stats_path, ": ", std::strerror(map_err)));
  }
  const auto* seg = static_cast<const onvm_stats_segment*>(addr);
  // Adopt the mapping first so every error path below unmaps it.
  auto reader = absl::WrapUnique(new StatsReader(paths, seg, size, st.st_dev, st.st_ino));

  // The engine stores the magic last (release), so once it is seen every
  // other header field below is complete.
  const onvm_stats_header& h = seg->header;
  const uint64_t magic = Load(h.magic);
  if (magic == 0) {
    return absl::UnavailableError(
        absl::StrCat("stats segment ", paths.stats_path, " is not initialised yet"));
  }
  if (magic != ONVM_STATS_MAGIC) {
    return absl::FailedPreconditionError(
        absl::StrCat("stats segment ", paths.stats_path, " has a bad magic number 0x",
                     absl::Hex(magic), " (not an onvm stats segment)"));
  }
  const uint32_t version = Load32(h.layout_version);
  if (version != ONVM_STATS_LAYOUT_VERSION) {
    return absl::FailedPreconditionError(
        absl::StrCat("stats segment ", paths.stats_path, " has layout version ", version,
                     " but this program reads layout version ", ONVM_STATS_LAYOUT_VERSION));
  }

  // Same version, other shape: a build of the engine with other array
  // sizes. Name every field that differs.
  std::vector<std::string> mismatches;
  const auto expect_equal = [&](const char* field, uint64_t got, uint64_t want) {
    if (got != want) {
      mismatches.push_back(absl::StrCat(field, " ", got, " (this build: ", want, ")"));
    }
  };
  const auto expect_at_most = [&](const char* field, uint32_t got, uint32_t max) {
    if (got > max) {
      mismatches.push_back(absl::StrCat(field, " ", got, " (this build holds ", max, ")"));
    }
  };
  expect_equal("header_size", Load32(h.header_size), sizeof(onvm_stats_header));
  const uint64_t total_size = Load(h.total_size);
  expect_equal("total_size", total_size, sizeof(onvm_stats_segment));
  if (total_size > size) {
    mismatches.push_back(
        absl::StrCat("total_size ", total_size, " but the object has ", size, " bytes"));
  } else if (size < sizeof(onvm_stats_segment)) {
    mismatches.push_back(absl::StrCat("object size ", size, " (this build: at least ",
                                      sizeof(onvm_stats_segment), ")"));
  }
  Limits limits;
  limits.ports = Load32(h.max_ports);
  limits.instances = Load32(h.max_instances);
  limits.chains = Load32(h.max_chains);
  limits.rules = Load32(h.max_rules);
  limits.lcores = Load32(h.max_lcores);
  limits.mempools = Load32(h.max_mempools);
  expect_at_most("max_ports", limits.ports, ONVM_STATS_MAX_PORTS);
  expect_at_most("max_instances", limits.instances, ONVM_STATS_MAX_INSTANCES);
  expect_at_most("max_chains", limits.chains, ONVM_STATS_MAX_CHAINS);
  expect_at_most("max_rules", limits.rules, ONVM_STATS_MAX_RULES);
  expect_at_most("max_lcores", limits.lcores, ONVM_STATS_MAX_LCORES);
  expect_at_most("max_mempools", limits.mempools, ONVM_STATS_MAX_MEMPOOLS);
  if (!mismatches.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("stats segment ", paths.stats_path, " (layout version ", version,
                     ") does not match this build's layout: ", absl::StrJoin(mismatches, ", ")));
  }
  reader->limits_ = limits;
  return reader;
}

StatsReader::StatsReader(EnginePaths paths, const onvm_stats_segment* seg, size_t size, dev_t dev,
                         ino_t ino)
    : paths_(std::move(paths)), seg_(seg), size_(size), dev_(dev), ino_(ino) {}

StatsReader::~StatsReader() { munmap(const_cast<onvm_stats_segment*>(seg_), size_); }

StatsHeader StatsReader::header() const {
  const onvm_stats_header& h = seg_->header;
  StatsHeader out;
  out.engine_name = LoadName(h.engine_name, sizeof(h.engine_name));
  out.boot_id = LoadName(h.boot_id, sizeof(h.boot_id));
  out.start_time_ns = Load(h.start_time_ns);
  out.heartbeat_ns = Load(h.heartbeat_ns);
  out.config_generation = Load(h.config_generation);
  out.max_ports = limits_.ports;
  out.max_instances = limits_.instances;
  out.max_chains = limits_.chains;
  out.max_rules = limits_.rules;
  out.max_lcores = limits_.lcores;
  out.max_mempools = limits_.mempools;
  out.rule_slots_used = Load32(h.rule_slots_used);
  out.tsc_hz = Load(h.tsc_hz);
  for (int i = 0; i < ONVM_DROP_REASON_MAX; ++i) out.drops[i] = Load(h.drops[i]);
  return out;
}

const char* DropReasonName(int reason) {
  switch (reason) {
    case ONVM_DROP_RULE:
      return "rule";
    case ONVM_DROP_CHAIN_END:
      return "chain_end";
    case ONVM_DROP_NO_INSTANCE:
      return "no_instance";
    case ONVM_DROP_LOOP:
      return "loop";
    case ONVM_DROP_BAD_ACTION:
      return "bad_action";
    case ONVM_DROP_NF_GONE:
      return "nf_gone";
    default:
      return nullptr;
  }
}

const char* LcoreRoleName(uint32_t role) {
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
      return nullptr;
  }
}

std::vector<PortStats> StatsReader::ports() const {
  std::vector<PortStats> out;
  for (uint32_t i = 0; i < limits_.ports; ++i) {
    const onvm_stats_port& p = seg_->ports[i];
    PortStats s;
    bool in_use = false;
    const bool ok = ReadConsistent(p.generation, [&](uint64_t) {
      in_use = Load32(p.in_use) != 0;
      s.slot = i;
      s.port_id = Load32(p.port_id);
      s.name = LoadName(p.name, sizeof(p.name));
      s.rx_packets = Load(p.rx_packets);
      s.rx_bytes = Load(p.rx_bytes);
      s.tx_packets = Load(p.tx_packets);
      s.tx_bytes = Load(p.tx_bytes);
      s.rx_missed = Load(p.rx_missed);
      s.tx_dropped = Load(p.tx_dropped);
      s.no_match_dropped = Load(p.no_match_dropped);
    });
    if (ok && in_use) out.push_back(std::move(s));
  }
  return out;
}

std::vector<InstanceStats> StatsReader::instances() const {
  std::vector<InstanceStats> out;
  for (uint32_t i = 0; i < limits_.instances; ++i) {
    const onvm_stats_instance& in = seg_->instances[i];
    InstanceStats s;
    const bool ok = ReadConsistent(in.generation, [&](uint64_t generation) {
      s.slot = i;
      s.generation = generation;
      s.state = Load32(in.state);
      s.instance_id = Load32(in.instance_id);
      s.pid = LoadI32(in.pid);
      s.service_id = Load32(in.service_id);
      s.service = LoadName(in.service, sizeof(in.service));
      s.rx_packets = Load(in.rx_packets);
      s.tx_packets = Load(in.tx_packets);
      s.dropped_ring_full = Load(in.dropped_ring_full);
      s.dropped_by_handler = Load(in.dropped_by_handler);
      s.rx_ring_count = Load(in.rx_ring_count);
      s.tx_ring_count = Load(in.tx_ring_count);
      s.reclaimed = Load(in.reclaimed);
      const uint32_t n = std::min<uint32_t>(Load32(in.custom_count), ONVM_STATS_MAX_CUSTOM);
      s.custom.clear();
      for (uint32_t c = 0; c < n; ++c) {
        s.custom.emplace_back(LoadName(in.custom_names[c], ONVM_STATS_CUSTOM_NAME_LEN),
                              Load(in.custom[c]));
      }
    });
    if (ok && s.state != ONVM_STATS_INSTANCE_FREE) out.push_back(std::move(s));
  }
  return out;
}

std::vector<ChainStats> StatsReader::chains() const {
  std::vector<ChainStats> out;
  for (uint32_t i = 0; i < limits_.chains; ++i) {
    const onvm_stats_chain& c = seg_->chains[i];
    ChainStats s;
    bool in_use = false;
    const bool ok = ReadConsistent(c.generation, [&](uint64_t generation) {
      in_use = Load32(c.in_use) != 0;
      s.slot = i;
      s.generation = generation;
      s.chain_id = Load32(c.chain_id);
      s.name = LoadName(c.name, sizeof(c.name));
      s.packets = Load(c.packets);
      s.bytes = Load(c.bytes);
      s.completed = Load(c.completed);
      for (int b = 0; b < ONVM_STATS_LATENCY_BUCKETS; ++b) {
        s.latency_buckets[b] = Load(c.latency_buckets[b]);
      }
      s.latency_sum_ns = Load(c.latency_sum_ns);
    });
    if (ok && in_use) out.push_back(std::move(s));
  }
  return out;
}

std::vector<RuleStats> StatsReader::rules() const {
  std::vector<RuleStats> out;
  // The engine only raises rule_slots_used, but a corrupt value must not
  // take the scan past the array.
  const uint32_t used = Load32(seg_->header.rule_slots_used);
  const uint32_t n = used < limits_.rules ? used : limits_.rules;
  for (uint32_t i = 0; i < n; ++i) {
    const onvm_stats_rule& r = seg_->rules[i];
    RuleStats s;
    bool in_use = false;
    const bool ok = ReadConsistent(r.generation, [&](uint64_t generation) {
      in_use = Load32(r.in_use) != 0;
      s.slot = i;
      s.generation = generation;
      s.name = LoadName(r.name, sizeof(r.name));
      s.packets = Load(r.packets);
      s.bytes = Load(r.bytes);
    });
    if (ok && in_use) out.push_back(std::move(s));
  }
  return out;
}

std::vector<LcoreStats> StatsReader::lcores() const {
  std::vector<LcoreStats> out;
  for (uint32_t i = 0; i < limits_.lcores; ++i) {
    const onvm_stats_lcore& l = seg_->lcores[i];
    LcoreStats s;
    bool in_use = false;
    const bool ok = ReadConsistent(l.generation, [&](uint64_t) {
      in_use = Load32(l.in_use) != 0;
      s.slot = i;
      s.lcore_id = Load32(l.lcore_id);
      s.role = Load32(l.role);
      s.socket = LoadI32(l.socket);
      s.cpu = Load32(l.cpu);
      s.busy_cycles = Load(l.busy_cycles);
      s.total_cycles = Load(l.total_cycles);
    });
    if (ok && in_use) out.push_back(std::move(s));
  }
  return out;
}

std::vector<MempoolStats> StatsReader::mempools() const {
  std::vector<MempoolStats> out;
  for (uint32_t i = 0; i < limits_.mempools; ++i) {
    const onvm_stats_mempool& m = seg_->mempools[i];
    MempoolStats s;
    bool in_use = false;
    const bool ok = ReadConsistent(m.generation, [&](uint64_t) {
      in_use = Load32(m.in_use) != 0;
      s.slot = i;
      s.name = LoadName(m.name, sizeof(m.name));
      s.socket = LoadI32(m.socket);
      s.size = Load(m.size);
      s.cache_size = Load(m.cache_size);
      s.mbufs_in_use = Load(m.mbufs_in_use);
    });
    if (ok && in_use) out.push_back(std::move(s));
  }
  return out;
}

bool StatsReader::EngineAlive() const {
  const uint64_t heartbeat = Load(seg_->header.heartbeat_ns);
  const uint64_t now = RealtimeNs();
  const uint64_t age = now > heartbeat ? now - heartbeat : heartbeat - now;
  return heartbeat != 0 && age <= kHeartbeatTimeoutNs;
}

bool StatsReader::Replaced() const {
  const int fd = shm_open(paths_.stats_shm.c_str(), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return true;
  struct stat st {};
  const bool same = fstat(fd, &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_;
  close(fd);
  return !same;
}

}  // namespace onvm
