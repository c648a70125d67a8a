// A stats segment written the way the engine writes it, for reader tests.
#ifndef ONVM_TEST_AGENT_FAKE_STATS_H_
#define ONVM_TEST_AGENT_FAKE_STATS_H_

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <string>

#include "onvm/names.h"
#include "onvm/stats_layout.h"

namespace onvm::agent::testing {

class FakeStatsSegment {
 public:
  explicit FakeStatsSegment(const std::string& engine, const char* boot_id = "boot-1")
      : paths_(PathsForEngine(engine)) {
    shm_unlink(paths_.stats_shm.c_str());
    const int fd = shm_open(paths_.stats_shm.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0 || ftruncate(fd, sizeof(onvm_stats_segment)) != 0) std::abort();
    void* addr =
        mmap(nullptr, sizeof(onvm_stats_segment), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (addr == MAP_FAILED) std::abort();
    seg_ = static_cast<onvm_stats_segment*>(addr);
    onvm_stats_header& h = seg_->header;
    h.magic = ONVM_STATS_MAGIC;
    h.layout_version = ONVM_STATS_LAYOUT_VERSION;
    h.header_size = sizeof(onvm_stats_header);
    h.total_size = sizeof(onvm_stats_segment);
    std::strncpy(h.engine_name, engine.c_str(), sizeof(h.engine_name) - 1);
    std::strncpy(h.boot_id, boot_id, sizeof(h.boot_id) - 1);
    h.max_ports = ONVM_STATS_MAX_PORTS;
    h.max_instances = ONVM_STATS_MAX_INSTANCES;
    Beat();
  }
  ~FakeStatsSegment() {
    munmap(seg_, sizeof(onvm_stats_segment));
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

  onvm_stats_segment* segment() { return seg_; }
  const EnginePaths& paths() const { return paths_; }

 private:
  EnginePaths paths_;
  onvm_stats_segment* seg_ = nullptr;
  bool unlinked_ = false;
};

}  // namespace onvm::agent::testing

#endif  // ONVM_TEST_AGENT_FAKE_STATS_H_
