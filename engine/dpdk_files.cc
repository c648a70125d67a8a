#include "dpdk_files.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace onvm::engine {

int RemoveDpdkFiles(const std::string& file_prefix) {
  namespace fs = std::filesystem;
  int removed = 0;
  std::ifstream mounts("/proc/mounts");
  std::string line;
  const std::string stem = file_prefix + "map_";
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string dev, dir, type;
    fields >> dev >> dir >> type;
    if (type != "hugetlbfs") continue;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(stem, 0) == 0 && fs::remove(entry.path(), ec)) ++removed;
    }
  }
  std::string runtime = "/var/run/dpdk/";
  if (geteuid() != 0) {
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    runtime = std::string(xdg != nullptr ? xdg : "/tmp") + "/dpdk/";
  }
  std::error_code ec;
  removed += static_cast<int>(fs::remove_all(runtime + file_prefix, ec));
  return removed;
}

}  // namespace onvm::engine
