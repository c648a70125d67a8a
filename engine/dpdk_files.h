// Removing what a DPDK primary leaves on disk: hugepage files and its
// runtime directory. DPDK keeps both after rte_eal_cleanup() so that
// secondaries could still map them; an engine that stops must not leak them.
#ifndef ONVM_ENGINE_DPDK_FILES_H_
#define ONVM_ENGINE_DPDK_FILES_H_

#include <string>

namespace onvm::engine {

// Deletes <hugetlbfs mount>/<prefix>map_* for every hugetlbfs mount and the
// runtime directory /var/run/dpdk/<prefix> (or $XDG_RUNTIME_DIR/dpdk/<prefix>
// for non-root). Returns the number of files removed.
int RemoveDpdkFiles(const std::string& file_prefix);

}  // namespace onvm::engine

#endif  // ONVM_ENGINE_DPDK_FILES_H_
