#include "mempools.h"

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "absl/strings/str_cat.h"

namespace onvm::engine {
namespace {

constexpr unsigned kPoolCache = 256;

}  // namespace

absl::StatusOr<std::unique_ptr<Mempools>> Mempools::Create(StatsSegment* stats, uint32_t mbufs,
                                                           int main_socket) {
  std::unique_ptr<Mempools> pools(new Mempools(stats, mbufs, main_socket));
  if (auto first = pools->ForSocket(main_socket); !first.ok()) return first.status();
  return pools;
}

Mempools::~Mempools() {
  for (const Pool& p : pools_) rte_mempool_free(p.pool);
}

absl::StatusOr<rte_mempool*> Mempools::ForSocket(int socket) {
  if (socket < 0) socket = main_socket_;
  for (const Pool& p : pools_) {
    if (p.socket == socket) return p.pool;
  }
  if (pools_.size() == ONVM_STATS_MAX_MEMPOOLS) {
    return absl::ResourceExhaustedError(
        absl::StrCat("no mempool slot left for NUMA socket ", socket));
  }
  // The main socket's pool keeps the plain name NFs and dashboards know.
  const std::string name =
      pools_.empty() ? "onvm_pktmbuf_pool" : absl::StrCat("onvm_pktmbuf_pool_s", socket);
  rte_mempool* pool = rte_pktmbuf_pool_create(name.c_str(), mbufs_, kPoolCache, 0,
                                              RTE_MBUF_DEFAULT_BUF_SIZE, socket);
  if (pool == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot create a mempool of ", mbufs_, " mbufs on NUMA socket ", socket, ": ",
                     rte_strerror(rte_errno), " (are enough hugepages free on that socket?)"));
  }
  stats_->ClaimMempool(static_cast<uint32_t>(pools_.size()), name, socket, pool->size,
                       pool->cache_size);
  pools_.push_back({socket, pool});
  return pool;
}

std::vector<rte_mempool*> Mempools::all() const {
  std::vector<rte_mempool*> out;
  for (const Pool& p : pools_) out.push_back(p.pool);
  return out;
}

void Mempools::RefreshStats() {
  for (uint32_t i = 0; i < pools_.size(); ++i) {
    stats_->SetMempoolInUse(i, rte_mempool_in_use_count(pools_[i].pool));
  }
}

}  // namespace onvm::engine
