// The whole platform in containers (issue 8, item 3): the engine and the
// agent from the onvm/engine-agent image and an NF from the onvm/nf image,
// all three under podman (runc) with the capabilities and mounts the
// Kubernetes DaemonSet gives them, and traffic through a chain. The engine's
// container joins a network namespace the test creates, with veth pairs for
// its two net_af_packet ports; onvmctl on the host drives the agent.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "harness/harness.h"
#include "podman.h"
#include "stack.h"

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class ContainerStackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces, podman)";
    ASSERT_NO_FATAL_FAILURE(BuildImages({"engine-agent", "nf"}));
    auto ns = NetNs::Create();
    ASSERT_TRUE(ns.ok()) << ns.status();
    ns_ = *std::move(ns);
    ASSERT_TRUE(ns_->AddVethPair("in0", "in1").ok());
    ASSERT_TRUE(ns_->AddVethPair("out0", "out1").ok());
    engine_ = UniqueName();
    api_ = absl::StrCat("127.0.0.1:", FreeTcpPort());
    metrics_ = absl::StrCat("127.0.0.1:", FreeTcpPort());
  }

  void TearDown() override {
    // NF, agent, engine: each stops cleanly on SIGTERM (podman forwards it).
    for (auto it = containers_.rbegin(); it != containers_.rend(); ++it) {
      (*it)->Signal(SIGTERM);
      if (!(*it)->WaitExit(seconds(20)).has_value()) (*it)->Signal(SIGKILL);
    }
    containers_.clear();
    for (const std::string& name : names_) {
      RunCommand(Podman({"rm", "--force", "--ignore", name}), seconds(30));
    }
  }

  Process* Start(const std::string& role, const std::vector<std::string>& args) {
    const std::string name = absl::StrCat(engine_, "-", role);
    names_.push_back(name);
    auto p = Process::Start("podman", PodmanRunArgs(name, args), tmp_.File(role + ".log"));
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) return nullptr;
    containers_.push_back(*std::move(p));
    return containers_.back().get();
  }

  CommandResult Onvmctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {BinPath("onvmctl"), "--server", api_};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, seconds(30));
  }

  std::string Logs() {
    std::string out;
    for (const auto& p : containers_) {
      out += absl::StrCat("\n--- ", p->log_path(), "\n", ReadFileOrEmpty(p->log_path()));
    }
    return out;
  }

  TempDir tmp_;
  std::unique_ptr<NetNs> ns_;
  std::string engine_;
  std::string api_;
  std::string metrics_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<Process>> containers_;
};

TEST_F(ContainerStackTest, EngineAgentAndNfInPodmanPassTraffic) {
  const std::string engine_image = absl::StrCat("onvm/engine-agent:", kImageVersion);
  // The engine: the DaemonSet's capabilities, in the test's namespace.
  Process* engine = Start("engine", {"--network",  absl::StrCat("ns:/run/netns/", ns_->name()),
                                     "--cap-add",  "IPC_LOCK,NET_ADMIN,NET_RAW,SYS_NICE",
                                     "-v",         "/run/onvm:/run/onvm",
                                     "-v",         "/var/run/dpdk:/var/run/dpdk",
                                     "-v",         "/dev/hugepages:/dev/hugepages",
                                     "-v",         "/dev/shm:/dev/shm",
                                     engine_image, "onvm-engine",
                                     "--name",     engine_,
                                     "--port",     "in=net_af_packet0,iface=in0",
                                     "--port",     "out=net_af_packet1,iface=out0"});
  ASSERT_NE(engine, nullptr);
  const std::string socket = absl::StrCat("/run/onvm/", engine_, ".sock");
  ASSERT_TRUE(WaitFor([&] { return !engine->Running() || access(socket.c_str(), F_OK) == 0; },
                      seconds(60), milliseconds(100)));
  ASSERT_TRUE(engine->Running()) << Logs();

  // The agent: no capabilities, the host's network (its API and metrics on
  // loopback), the control socket and the stats segment read-only.
  const std::string state = tmp_.File("state");
  ASSERT_EQ(mkdir(state.c_str(), 0700), 0);
  Process* agent =
      Start("agent",
            {"--network", "host", "-v", "/run/onvm:/run/onvm", "-v", "/dev/shm:/dev/shm:ro", "-v",
             absl::StrCat(state, ":/var/lib/onvm"), engine_image, "onvm-agent", "--engine", engine_,
             "--listen", api_, "--metrics-listen", metrics_, "--state-dir", "/var/lib/onvm"});
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(WaitFor(
      [&] {
        if (!agent->Running()) return true;
        auto body = MetricsScrape(metrics_);
        return body.ok() && ParseMetric(*body, "onvm_engine_up", {}) == 1;
      },
      seconds(60), milliseconds(100)));
  ASSERT_TRUE(agent->Running()) << Logs();

  const std::string manifest = tmp_.File("chain.yaml");
  ASSERT_TRUE(WriteFile(manifest, kForwardChainYaml));
  CommandResult applied = Onvmctl({"apply", "-f", manifest});
  ASSERT_TRUE(applied.ok()) << applied.output << Logs();

  // The NF, as in container_nf_test.
  std::vector<std::string> nf_args = NfContainerArgs();
  nf_args.insert(nf_args.end(), {"onvm-nf-forward", "--engine", engine_, "--service", "fwd",
                                 "--idle-sleep-us", "20"});
  Process* nf = Start("nf", nf_args);
  ASSERT_NE(nf, nullptr);
  ASSERT_TRUE(WaitFor(
      [&] {
        if (!nf->Running()) return true;
        CommandResult r = Onvmctl({"get", "instances", "-o", "json"});
        return r.ok() && absl::StrContains(r.output, "RUNNING");
      },
      seconds(60), milliseconds(200)));
  ASSERT_TRUE(nf->Running()) << Logs();

  auto in = RawSocket::Open(*ns_, "in1");
  ASSERT_TRUE(in.ok()) << in.status();
  auto out = RawSocket::Open(*ns_, "out1");
  ASSERT_TRUE(out.ok()) << out.status();
  constexpr uint32_t kFrames = 300;
  std::vector<Frame> frames;
  for (uint32_t i = 0; i < kFrames; ++i) {
    frames.push_back(PacketBuilder()
                         .Ipv4("192.0.2.1", "198.51.100.1")
                         .Udp(static_cast<uint16_t>(30000 + i % 32), 4789)
                         .Sequence(i)
                         .FrameSize(64 + (i * 41) % 1400)
                         .Build());
  }
  ASSERT_TRUE((*in)->SendAll(frames).ok());
  std::set<uint32_t> seen;
  for (const Frame& f : (*out)->Receive(seconds(10), kFrames)) {
    if (std::optional<uint32_t> seq = SequenceOf(f)) seen.insert(*seq);
  }
  EXPECT_EQ(seen.size(), kFrames) << Logs();
  auto body = MetricsScrape(metrics_);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(ParseMetric(*body, "onvm_port_tx_packets_total", {{"port", "out"}}), kFrames);
}

}  // namespace
}  // namespace onvm::testing
