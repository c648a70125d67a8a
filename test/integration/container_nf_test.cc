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
#include "podman.h"
#include "stack.h"

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class ContainerNfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces, podman)";
    // The image holds the binaries this test would otherwise run.
    ASSERT_NO_FATAL_FAILURE(BuildImages({"nf"}));
    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    ASSERT_TRUE(stack_->Apply(kForwardChainYaml).ok()) << stack_->Logs();
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
  std::vector<std::string> args = NfContainerArgs();
  args.insert(args.end(), {"onvm-nf-forward", "--engine", stack_->engine_name(), "--service", "fwd",
                           "--idle-sleep-us", "20"});
  auto nf = Process::Start("podman", PodmanRunArgs(container_, args),
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
