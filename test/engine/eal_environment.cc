// A DPDK EAL for the unit tests: rte_acl allocates its contexts with
// rte_malloc, which needs one. No hugepages (anonymous memory), no shared
// config, no PCI scan, its own file prefix (whose empty runtime directory is
// removed at the end), so it touches neither a running engine nor another
// test running in parallel.
#include <rte_eal.h>
#include <rte_errno.h>
#include <sched.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dpdk_files.h"
#include "gtest/gtest.h"

namespace {

// The CPUs this process may run on, as an EAL cpuset such as "(0,1)": the
// one lcore floats over all of them instead of being pinned to CPU 0.
std::string AllowedCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return "(0)";
  std::string cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) absl::StrAppend(&cpus, cpus.empty() ? "" : ",", c);
  }
  return absl::StrCat("(", cpus, ")");
}

class EalEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    prefix_ = absl::StrCat("onvm-unit-", getpid());
    // Anonymous memory instead of hugepages, no shared config files, no
    // device scan; one lcore that may run on any CPU of the process.
    std::vector<std::string> args = {"engine_test", "--no-huge",     "-m", "1024", "--no-shconf",
                                     "--no-pci",    "--no-telemetry"};
    args.push_back("--lcores");
    args.push_back(absl::StrCat("0@", AllowedCpus()));
    args.push_back("--file-prefix");
    args.push_back(prefix_);
    args.push_back("--log-level");
    args.push_back("*:warning");
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_GE(rte_eal_init(static_cast<int>(args.size()), argv.data()), 0)
        << "rte_eal_init: " << rte_strerror(rte_errno);
  }
  void TearDown() override {
    rte_eal_cleanup();
    onvm::engine::RemoveDpdkFiles(prefix_);
  }

 private:
  std::string prefix_;
};

[[maybe_unused]] ::testing::Environment* const kEal =
    ::testing::AddGlobalTestEnvironment(new EalEnvironment);

}  // namespace
