#include "onvm/stats_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

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
  if (size < sizeof(onvm_stats_segment)) {
    close(fd);
    // Also what a reader sees while the engine is still sizing the object.
    return absl::UnavailableError(absl::StrCat("stats segment ", paths.stats_path, " has ", size,
                                               " bytes, expected at least ",
                                               sizeof(onvm_stats_segment)));
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
  if (h.layout_version != ONVM_STATS_LAYOUT_VERSION) {
    return absl::FailedPreconditionError(
        absl::StrCat("stats segment ", paths.stats_path, " has layout version ", h.layout_version,
                     " but this program reads layout version ", ONVM_STATS_LAYOUT_VERSION));
  }
  if (h.header_size != sizeof(onvm_stats_header) || h.total_size != sizeof(onvm_stats_segment) ||
      h.total_size > size || h.max_ports > ONVM_STATS_MAX_PORTS ||
      h.max_instances > ONVM_STATS_MAX_INSTANCES) {
    return absl::FailedPreconditionError(absl::StrCat(
        "stats segment ", paths.stats_path, " does not match this build's layout (header ",
        h.header_size, "/", sizeof(onvm_stats_header), " bytes, total ", h.total_size, "/",
        sizeof(onvm_stats_segment), " bytes, ", h.max_ports, " ports, ", h.max_instances,
        " instances)"));
  }
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
  out.max_ports = h.max_ports;
  out.max_instances = h.max_instances;
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

std::vector<PortStats> StatsReader::ports() const {
  std::vector<PortStats> out;
  for (uint32_t i = 0; i < seg_->header.max_ports; ++i) {
    const onvm_stats_port& p = seg_->ports[i];
    PortStats s;
    bool in_use = false;
    const bool ok = ReadConsistent(p.generation, [&](uint64_t) {
      in_use = Load32(p.in_use) != 0;
      s.slot = i;
      s.port_id = Load32(p.port_id);
      s.name = LoadName(p.name, sizeof(p.name));
      s.rx_packets = onvm_stats_read(&p.rx_packets);
      s.rx_bytes = onvm_stats_read(&p.rx_bytes);
      s.tx_packets = onvm_stats_read(&p.tx_packets);
      s.tx_bytes = onvm_stats_read(&p.tx_bytes);
      s.rx_missed = onvm_stats_read(&p.rx_missed);
      s.tx_dropped = onvm_stats_read(&p.tx_dropped);
      s.no_match_dropped = onvm_stats_read(&p.no_match_dropped);
    });
    if (ok && in_use) out.push_back(std::move(s));
  }
  return out;
}

std::vector<InstanceStats> StatsReader::instances() const {
  std::vector<InstanceStats> out;
  for (uint32_t i = 0; i < seg_->header.max_instances; ++i) {
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
      s.rx_packets = onvm_stats_read(&in.rx_packets);
      s.tx_packets = onvm_stats_read(&in.tx_packets);
      s.dropped_ring_full = onvm_stats_read(&in.dropped_ring_full);
      s.dropped_by_handler = onvm_stats_read(&in.dropped_by_handler);
    });
    if (ok && s.state != ONVM_STATS_INSTANCE_FREE) out.push_back(std::move(s));
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
