// onvm-engine: the DPDK primary process. See DESIGN.md, "Interfaces".
#include <malloc.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "dpdk_files.h"
#include "engine.h"
#include "engine_options.h"
#include "onvm/control_frame.h"
#include "onvm/names.h"

namespace {

// The one piece of process-wide mutable state: set from signal handlers.
std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

}  // namespace

int main(int argc, char** argv) {
  // rte_acl_build callocs an 8 MiB scratch pool for every build, that is
  // for every configuration change. glibc's sliding mmap threshold soon
  // serves such blocks from the heap, and calloc then zeroes all 8 MiB by
  // hand: half of the control thread's CPU per change. A fixed threshold
  // keeps them on fresh mmap'd pages, which the kernel zeroes only as the
  // build touches them.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  std::vector<std::string> args(argv + 1, argv + argc);
  auto options = onvm::engine::ParseEngineOptions(args);
  if (!options.ok()) {
    if (absl::IsCancelled(options.status())) {
      std::fputs(onvm::engine::kEngineUsage, stdout);
      return 0;
    }
    std::fprintf(stderr, "onvm-engine: %s\n%s", std::string(options.status().message()).c_str(),
                 onvm::engine::kEngineUsage);
    return 2;
  }
  const onvm::EnginePaths paths = onvm::PathsForEngine(options->name);
  // Refuse before touching DPDK state that a running engine owns.
  if (auto live = onvm::ConnectUnix(paths.control_socket); live.ok()) {
    std::fprintf(stderr, "onvm-engine: an engine named \"%s\" is already running (%s)\n",
                 options->name.c_str(), paths.control_socket.c_str());
    return 1;
  }

  std::vector<std::string> eal_args = onvm::engine::BuildEalArgs(*options);
  std::vector<char*> eal_argv;
  for (std::string& a : eal_args) eal_argv.push_back(a.data());
  eal_argv.push_back(nullptr);

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);

  if (rte_eal_init(static_cast<int>(eal_args.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "onvm-engine: DPDK EAL initialisation failed: %s\n",
                 rte_strerror(rte_errno));
    onvm::engine::RemoveDpdkFiles(paths.file_prefix);
    return 1;
  }
  int rc = 0;
  {
    auto engine = onvm::engine::Engine::Start(*options);
    if (!engine.ok()) {
      std::fprintf(stderr, "onvm-engine: %s\n", std::string(engine.status().message()).c_str());
      rc = 1;
    } else {
      (*engine)->Run(g_stop);
      std::fprintf(stderr, "onvm-engine: stopping\n");
    }
  }
  rte_eal_cleanup();
  onvm::engine::RemoveDpdkFiles(paths.file_prefix);
  return rc;
}
