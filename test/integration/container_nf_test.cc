// An NF in a container (issue 5, item 7): the onvm/nf image, built from
// scratch by deploy/containers/build-images.sh, runs onvm-nf-forward under
// podman (runc, no network, no capabilities) attached to an engine on the
// host through exactly the mounts sdk/README.md documents, and traffic
// passes through it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "stack.h"

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kChain[] = R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: fwd}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: through}
spec:
  services: [fwd]
  then: {out: out}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: from-in}
spec:
  priority: 100
  match: {inPort: in}
  action: {chain: through}
)";

// podman's global flags for a machine without systemd: cgroups through the
// file system, events to a file.
std::vector<std::string> Podman(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"podman", "--cgroup-manager=cgroupfs", "--events-backend=file"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

class ContainerNfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces, podman)";
    ASSERT_TRUE(RunCommand({"sh", "-c", "command -v podman && command -v runc"}).ok())
        << "podman and runc are not installed (bash scripts/setup.sh installs them)";
    // The image holds the binaries this test would otherwise run.
    const std::string bin_dir = BinPath("");
    CommandResult built =
        RunCommand({"bash", ONVM_SOURCE_DIR "/deploy/containers/build-images.sh", bin_dir, "nf"},
                   seconds(300));
    ASSERT_TRUE(built.ok()) << built.output;
    std::printf("%s", built.output.c_str());
    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    ASSERT_TRUE(stack_->Apply(kChain).ok()) << stack_->Logs();
    container_ = UniqueName("onvm-test-nf");
  }

  void TearDown() override {
    if (nf_ != nullptr) {
      // podman run forwards SIGTERM to the NF, which drains and deregisters.
      nf_->Signal(SIGTERM);
      if (!nf_->WaitExit(seconds(20)).has_value()) nf_->Signal(SIGKILL);
    }
    RunCommand(Podman({"rm", "--force", "--ignore", container_}), seconds(30));
  }

  // The NF's instance once the engine reports it running.
  std::optional<onvm::v1::Instance> RunningInstance() {
    auto list = stack_->ListInstances();
    if (!list.ok()) return std::nullopt;
    for (const auto& inst : list->items()) {
      if (inst.spec().service() == "fwd" &&
          inst.status().state() == onvm::v1::InstanceStatus::RUNNING) {
        return inst;
      }
    }
    return std::nullopt;
  }

  std::unique_ptr<Stack> stack_;
  std::string container_;
  std::unique_ptr<Process> nf_;
};

TEST_F(ContainerNfTest, ForwardNfInPodmanPassesTraffic) {
  // The mounts, exactly as sdk/README.md lists them.
  auto nf = Process::Start(
      "podman",
      {"--cgroup-manager=cgroupfs", "--events-backend=file", "run", "--rm", "--name", container_,
       "--runtime", "runc", "--network", "none", "--cap-drop", "all",
       // Only what the sandbox's own limits allow (podman raises them by
       // default, which needs CAP_SYS_RESOURCE).
       "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096", "-v", "/run/onvm:/run/onvm",
       "-v", "/var/run/dpdk:/var/run/dpdk", "-v", "/dev/hugepages:/dev/hugepages", "onvm/nf:0.1.0",
       "onvm-nf-forward", "--engine", stack_->engine_name(), "--service", "fwd", "--idle-sleep-us",
       "20"},
      stack_->tmp().File("podman-nf.log"));
  ASSERT_TRUE(nf.ok()) << nf.status();
  nf_ = *std::move(nf);
  ASSERT_TRUE(WaitFor([&] { return !nf_->Running() || RunningInstance().has_value(); }, seconds(60),
                      milliseconds(100)));
  ASSERT_TRUE(nf_->Running()) << ReadFileOrEmpty(nf_->log_path()) << stack_->Logs();

  auto in = stack_->OpenPeer("in");
  ASSERT_TRUE(in.ok()) << in.status();
  auto out = stack_->OpenPeer("out");
  ASSERT_TRUE(out.ok()) << out.status();
  constexpr uint32_t kFrames = 500;
  std::vector<Frame> frames;
  for (uint32_t i = 0; i < kFrames; ++i) {
    frames.push_back(PacketBuilder()
                         .Ipv4("192.0.2.1", "198.51.100.1")
                         .Udp(static_cast<uint16_t>(20000 + i % 64), 4789)
                         .Sequence(i)
                         .FrameSize(64 + (i * 29) % 1400)
                         .Build());
  }
  ASSERT_TRUE((*in)->SendAll(frames).ok());
  std::set<uint32_t> seen;
  for (const Frame& f : (*out)->Receive(seconds(10), kFrames)) {
    if (std::optional<uint32_t> seq = SequenceOf(f)) seen.insert(*seq);
  }
  EXPECT_EQ(seen.size(), kFrames) << ReadFileOrEmpty(nf_->log_path());
  std::optional<onvm::v1::Instance> inst = RunningInstance();
  ASSERT_TRUE(inst.has_value());
  EXPECT_TRUE(stack_->WaitMetric(
      "onvm_nf_tx_packets_total",
      {{"service", "fwd"}, {"instance", absl::StrCat(inst->status().instance_id())}}, kFrames));

  // A clean stop from outside: the NF deregisters and the engine lists it
  // no more.
  nf_->Signal(SIGTERM);
  std::optional<ExitStatus> exit = nf_->WaitExit(seconds(20));
  ASSERT_TRUE(exit.has_value());
  EXPECT_TRUE(exit->ok()) << exit->ToString() << ReadFileOrEmpty(nf_->log_path());
  EXPECT_TRUE(WaitFor([&] { return !RunningInstance().has_value(); }, seconds(5)));
}

}  // namespace
}  // namespace onvm::testing
