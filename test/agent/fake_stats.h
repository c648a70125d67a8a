// A stats segment written the way the engine writes it, for reader tests.
// Slots are written with plain stores: tests that race a reader against a
// writer store atomically themselves.
#ifndef ONVM_TEST_AGENT_FAKE_STATS_H_
#define ONVM_TEST_AGENT_FAKE_STATS_H_

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include "onvm/names.h"
#include "onvm/stats_layout.h"

namespace onvm::agent::testing {

class FakeStatsSegment {
 public:
  static constexpr uint64_t kTscHz = 2'000'000'000;

  // `size` other than the segment's is for segments of other layouts: then
  // only the header may be touched.
  explicit FakeStatsSegment(const std::string& engine, const char* boot_id = "boot-1",
                            size_t size = sizeof(onvm_stats_segment))
      : paths_(PathsForEngine(engine)), size_(size) {
    shm_unlink(paths_.stats_shm.c_str());
    const int fd = shm_open(paths_.stats_shm.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0 || ftruncate(fd, static_cast<off_t>(size_)) != 0) std::abort();
    if (size_ == 0) {  // an object the engine has created but not sized yet
      close(fd);
      return;
    }
    void* addr = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (addr == MAP_FAILED) std::abort();
    seg_ = static_cast<onvm_stats_segment*>(addr);
    if (size_ < sizeof(onvm_stats_header)) return;  // too small for anything
    onvm_stats_header& h = seg_->header;
    h.magic = ONVM_STATS_MAGIC;
    h.layout_version = ONVM_STATS_LAYOUT_VERSION;
    h.header_size = sizeof(onvm_stats_header);
    h.total_size = sizeof(onvm_stats_segment);
    std::strncpy(h.engine_name, engine.c_str(), sizeof(h.engine_name) - 1);
    std::strncpy(h.boot_id, boot_id, sizeof(h.boot_id) - 1);
    h.max_ports = ONVM_STATS_MAX_PORTS;
    h.max_instances = ONVM_STATS_MAX_INSTANCES;
    h.max_chains = ONVM_STATS_MAX_CHAINS;
    h.max_rules = ONVM_STATS_MAX_RULES;
    h.max_lcores = ONVM_STATS_MAX_LCORES;
    h.max_mempools = ONVM_STATS_MAX_MEMPOOLS;
    h.tsc_hz = kTscHz;
    Beat();
  }
  ~FakeStatsSegment() {
    if (seg_ != nullptr) munmap(seg_, size_);
    if (!unlinked_) shm_unlink(paths_.stats_shm.c_str());
  }
  FakeStatsSegment(const FakeStatsSegment&) = delete;
  FakeStatsSegment& operator=(const FakeStatsSegment&) = delete;

  static uint64_t NowNs() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
  }
  void Beat(uint64_t ns = NowNs()) { seg_->header.heartbeat_ns = ns; }
  void Unlink() {
    shm_unlink(paths_.stats_shm.c_str());
    unlinked_ = true;
  }

  onvm_stats_port& AddPort(uint32_t slot, const char* name, uint32_t port_id) {
    onvm_stats_port& p = seg_->ports[slot];
    p.generation += 2;
    p.in_use = 1;
    p.port_id = port_id;
    std::strncpy(p.name, name, sizeof(p.name) - 1);
    return p;
  }
  onvm_stats_instance& AddInstance(uint32_t slot, const char* service, uint32_t id) {
    onvm_stats_instance& in = seg_->instances[slot];
    in.generation += 2;
    in.state = ONVM_STATS_INSTANCE_RUNNING;
    in.instance_id = id;
    in.pid = 4242;
    std::strncpy(in.service, service, sizeof(in.service) - 1);
    return in;
  }
  onvm_stats_chain& AddChain(uint32_t slot, const char* name, uint32_t chain_id) {
    onvm_stats_chain& c = seg_->chains[slot];
    c.generation += 2;
    c.in_use = 1;
    c.chain_id = chain_id;
    std::strncpy(c.name, name, sizeof(c.name) - 1);
    return c;
  }
  // Raises rule_slots_used as the engine does when it claims a slot.
  onvm_stats_rule& AddRule(uint32_t slot, const char* name) {
    onvm_stats_rule& r = seg_->rules[slot];
    r.generation += 2;
    r.in_use = 1;
    std::strncpy(r.name, name, sizeof(r.name) - 1);
    if (slot + 1 > seg_->header.rule_slots_used) seg_->header.rule_slots_used = slot + 1;
    return r;
  }
  onvm_stats_lcore& AddLcore(uint32_t slot, uint32_t lcore_id, onvm_stats_lcore_role role,
                             int32_t socket = 0) {
    onvm_stats_lcore& l = seg_->lcores[slot];
    l.generation += 2;
    l.in_use = 1;
    l.lcore_id = lcore_id;
    l.role = role;
    l.socket = socket;
    l.cpu = lcore_id;
    return l;
  }
  onvm_stats_mempool& AddMempool(uint32_t slot, const char* name, int32_t socket, uint64_t size) {
    onvm_stats_mempool& m = seg_->mempools[slot];
    m.generation += 2;
    m.in_use = 1;
    m.socket = socket;
    m.size = size;
    m.cache_size = 256;
    std::strncpy(m.name, name, sizeof(m.name) - 1);
    return m;
  }

  onvm_stats_segment* segment() { return seg_; }
  const EnginePaths& paths() const { return paths_; }

 private:
  EnginePaths paths_;
  size_t size_;
  onvm_stats_segment* seg_ = nullptr;
  bool unlinked_ = false;
};

}  // namespace onvm::agent::testing

#endif  // ONVM_TEST_AGENT_FAKE_STATS_H_
