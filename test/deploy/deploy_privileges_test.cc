// The privileges the deployment files give onvm are enough: a real engine
// on net_af_packet ports, a real agent and a real NF, each started with only
// the capabilities that deploy/kubernetes/daemonset.yaml (or
// deploy/systemd/*.service) lists for it, pass traffic through a chain and
// export its counters. The sets are read from the files themselves, so the
// test follows them.
//
// How: the harness starts binaries from ONVM_BIN_DIR; the test points it at
// wrapper scripts that exec the real binaries through
// `setpriv --bounding-set -all,+CAP... --inh-caps -all` (the model of a
// container's `capabilities: {drop: [ALL], add: [...]}` and of systemd's
// CapabilityBoundingSet=), and checks the kernel's view in
// /proc/PID/status.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "deploy_test_util.h"
#include "stack.h"

namespace onvm::testing {
namespace {

constexpr size_t kFrames = 100;

// Capability numbers (linux/capability.h) of the names the files use.
const std::map<std::string, int>& CapabilityNumbers() {
  static const auto* numbers = new std::map<std::string, int>{{"CHOWN", 0},
                                                              {"DAC_OVERRIDE", 1},
                                                              {"FOWNER", 3},
                                                              {"KILL", 5},
                                                              {"SETGID", 6},
                                                              {"SETUID", 7},
                                                              {"NET_BIND_SERVICE", 10},
                                                              {"NET_ADMIN", 12},
                                                              {"NET_RAW", 13},
                                                              {"IPC_LOCK", 14},
                                                              {"SYS_RAWIO", 17},
                                                              {"SYS_ADMIN", 21},
                                                              {"SYS_NICE", 23},
                                                              {"SYS_RESOURCE", 24}};
  return *numbers;
}

struct CapSet {
  std::vector<std::string> names;  // without CAP_, upper case

  uint64_t Mask() const {
    uint64_t m = 0;
    for (const std::string& n : names) m |= uint64_t{1} << CapabilityNumbers().at(n);
    return m;
  }
  // setpriv's --bounding-set argument.
  std::string SetprivArg() const {
    std::string out = "-all";
    for (const std::string& n : names) absl::StrAppend(&out, ",+", absl::AsciiStrToLower(n));
    return out;
  }
  std::string ToString() const { return names.empty() ? "(none)" : absl::StrJoin(names, " "); }
};

// capabilities.add of container `name` in the DaemonSet; fails the test if
// the container does not drop ALL first.
CapSet KubernetesCaps(const std::string& container) {
  const YAML::Node ds = YAML::LoadFile(SourcePath("deploy/kubernetes/daemonset.yaml"));
  for (const YAML::Node& c : ds["spec"]["template"]["spec"]["containers"]) {
    if (c["name"].as<std::string>() != container) continue;
    const YAML::Node caps = c["securityContext"]["capabilities"];
    std::vector<std::string> drop;
    for (const YAML::Node& d : caps["drop"]) drop.push_back(d.as<std::string>());
    EXPECT_THAT(drop, ::testing::ElementsAre("ALL")) << container << " must drop ALL";
    CapSet set;
    if (caps["add"]) {
      for (const YAML::Node& a : caps["add"]) set.names.push_back(a.as<std::string>());
    }
    return set;
  }
  ADD_FAILURE() << "no container " << container << " in daemonset.yaml";
  return {};
}

// CapabilityBoundingSet= of a systemd unit file.
CapSet SystemdCaps(const std::string& unit) {
  std::ifstream in(SourcePath(absl::StrCat("deploy/systemd/", unit)));
  std::string line;
  std::optional<CapSet> set;
  while (std::getline(in, line)) {
    absl::string_view v = line;
    if (!absl::ConsumePrefix(&v, "CapabilityBoundingSet=")) continue;
    set = CapSet{};
    for (absl::string_view cap : absl::StrSplit(v, ' ', absl::SkipWhitespace())) {
      absl::ConsumePrefix(&cap, "CAP_");
      set->names.emplace_back(cap);
    }
  }
  if (!set.has_value()) ADD_FAILURE() << unit << " has no CapabilityBoundingSet=";
  return set.value_or(CapSet{});
}

// "CapBnd:" or "CapEff:" of a process, as a mask.
std::optional<uint64_t> ProcCaps(pid_t pid, const std::string& field) {
  std::istringstream status(ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/status")));
  std::string line;
  while (std::getline(status, line)) {
    if (absl::StartsWith(line, field + ":")) {
      return std::stoull(std::string(absl::StripAsciiWhitespace(line.substr(field.size() + 1))),
                         nullptr, 16);
    }
  }
  return std::nullopt;
}

class DeployPrivilegesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
    setpriv_ = FindExecutable("setpriv");
    ASSERT_FALSE(setpriv_.empty()) << "setpriv (util-linux) is not installed";
    // Resolve the real binaries before ONVM_BIN_DIR points at the wrappers.
    for (const char* b : {"onvm-engine", "onvm-agent", "onvm-nf-forward", "onvmctl"}) {
      real_[b] = BinPath(b);
    }
    const char* old = std::getenv("ONVM_BIN_DIR");
    if (old != nullptr) old_bin_dir_ = old;
  }
  void TearDown() override {
    stack_.reset();
    if (old_bin_dir_.has_value()) {
      setenv("ONVM_BIN_DIR", old_bin_dir_->c_str(), 1);
    } else {
      unsetenv("ONVM_BIN_DIR");
    }
  }

  void Wrap(const std::string& binary, const CapSet& caps) {
    const std::string path = wrappers_.File(binary);
    ASSERT_TRUE(WriteFile(
        path, absl::StrCat("#!/bin/sh\nexec ", setpriv_, " --bounding-set ", caps.SetprivArg(),
                           " --inh-caps -all -- ", real_[binary], " \"$@\"\n")));
    ASSERT_EQ(chmod(path.c_str(), 0755), 0);
  }

  // Runs the stack with these capability sets and passes traffic.
  void RunWith(const CapSet& engine, const CapSet& agent, const CapSet& nf) {
    Wrap("onvm-engine", engine);
    Wrap("onvm-agent", agent);
    Wrap("onvm-nf-forward", nf);
    Wrap("onvmctl", CapSet{});
    setenv("ONVM_BIN_DIR", wrappers_.path().c_str(), 1);

    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << "with engine capabilities " << engine.ToString() << ", agent "
                            << agent.ToString() << ":\n"
                            << stack.status();
    stack_ = *std::move(stack);
    auto received = ForwardTraffic(*stack_, kFrames);
    ASSERT_TRUE(received.ok()) << received.status() << stack_->Logs();
    EXPECT_EQ(*received, kFrames) << stack_->Logs();
    EXPECT_TRUE(stack_->WaitMetric("onvm_port_tx_packets_total", {{"port", "out"}}, kFrames));
    EXPECT_TRUE(stack_->WaitMetric("onvm_nf_tx_packets_total",
                                   {{"service", "fwd"}, {"instance", "1"}}, kFrames));
    EXPECT_EQ(stack_->Metric("onvm_engine_up", {}), 1);

    // The kernel's view: each process holds exactly its set.
    auto expect_caps = [](const char* what, pid_t pid, const CapSet& want) {
      EXPECT_EQ(ProcCaps(pid, "CapBnd"), want.Mask()) << what << " bounding set";
      EXPECT_EQ(ProcCaps(pid, "CapEff"), want.Mask()) << what << " effective set";
    };
    expect_caps("engine", stack_->engine().pid(), engine);
    expect_caps("agent", stack_->agent().pid(), agent);
    auto instances = stack_->ListInstances();
    ASSERT_TRUE(instances.ok()) << instances.status();
    ASSERT_EQ(instances->items_size(), 1);
    expect_caps("nf", instances->items(0).status().pid(), nf);
    std::cout << "[ deploy ] engine " << engine.ToString() << ", agent " << agent.ToString()
              << ", nf " << nf.ToString() << ": " << *received << "/" << kFrames
              << " frames forwarded\n";
  }

  std::string setpriv_;
  std::map<std::string, std::string> real_;
  std::optional<std::string> old_bin_dir_;
  TempDir wrappers_;
  std::unique_ptr<Stack> stack_;
};

// The DaemonSet's containers: the engine with its capabilities.add, the
// agent with none; an NF (its own pod, later) with none.
TEST_F(DeployPrivilegesTest, KubernetesCapabilitiesAreEnough) {
  const CapSet engine = KubernetesCaps("engine");
  EXPECT_THAT(engine.names, ::testing::Not(::testing::Contains("SYS_ADMIN")));
  const CapSet agent = KubernetesCaps("agent");
  EXPECT_THAT(agent.names, ::testing::IsEmpty());
  RunWith(engine, agent, CapSet{});
}

// The systemd units' CapabilityBoundingSet= lines.
TEST_F(DeployPrivilegesTest, SystemdCapabilitiesAreEnough) {
  const CapSet engine = SystemdCaps("onvm-engine@.service");
  const CapSet agent = SystemdCaps("onvm-agent@.service");
  EXPECT_THAT(agent.names, ::testing::IsEmpty());
  RunWith(engine, agent, CapSet{});
}

// The engine needs NET_RAW and NET_ADMIN for af_packet ports: without
// either it does not start (so the sets above are not larger than
// necessary for those two, and the test would notice a harness that
// ignored the wrappers).
TEST_F(DeployPrivilegesTest, EngineWithoutNetRawCannotOpenAfPacketPorts) {
  Wrap("onvm-engine", CapSet{{"NET_ADMIN", "IPC_LOCK"}});
  Wrap("onvm-agent", CapSet{});
  setenv("ONVM_BIN_DIR", wrappers_.path().c_str(), 1);
  auto stack = Stack::Start();
  ASSERT_FALSE(stack.ok());
  EXPECT_THAT(std::string(stack.status().message()),
              ::testing::HasSubstr("Could not open AF_PACKET socket"));
}

TEST_F(DeployPrivilegesTest, EngineWithoutNetAdminCannotStartAfPacketPorts) {
  Wrap("onvm-engine", CapSet{{"NET_RAW", "IPC_LOCK"}});
  Wrap("onvm-agent", CapSet{});
  setenv("ONVM_BIN_DIR", wrappers_.path().c_str(), 1);
  auto stack = Stack::Start();
  ASSERT_FALSE(stack.ok());
  EXPECT_THAT(std::string(stack.status().message()),
              ::testing::HasSubstr("Operation not permitted"));
}

}  // namespace
}  // namespace onvm::testing
