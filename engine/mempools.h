// The engine's mbuf pools: one per NUMA socket in use, made on first need
// (the main lcore's socket at start; a port's or an NF's socket when one
// appears there). Each has a stats slot whose in-use count the control
// thread refreshes. Owned by the control thread.
#ifndef ONVM_ENGINE_MEMPOOLS_H_
#define ONVM_ENGINE_MEMPOOLS_H_

#include <rte_mempool.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "stats_segment.h"

namespace onvm::engine {

class Mempools {
 public:
  // Pools of `mbufs` mbufs each; the first is made on `main_socket`.
  static absl::StatusOr<std::unique_ptr<Mempools>> Create(StatsSegment* stats, uint32_t mbufs,
                                                          int main_socket);
  ~Mempools();
  Mempools(const Mempools&) = delete;
  Mempools& operator=(const Mempools&) = delete;

  // The pool of `socket` (made now if needed); a negative socket means the
  // main one.
  absl::StatusOr<rte_mempool*> ForSocket(int socket);
  std::vector<rte_mempool*> all() const;
  // Writes each pool's in-use count to its stats slot.
  void RefreshStats();

 private:
  Mempools(StatsSegment* stats, uint32_t mbufs, int main_socket)
      : stats_(stats), mbufs_(mbufs), main_socket_(main_socket) {}

  struct Pool {
    int socket;
    rte_mempool* pool;
  };
  StatsSegment* stats_;
  uint32_t mbufs_;
  int main_socket_;
  std::vector<Pool> pools_;  // index = stats slot
};

}  // namespace onvm::engine

#endif  // ONVM_ENGINE_MEMPOOLS_H_
