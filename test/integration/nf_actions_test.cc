// NF actions through a real engine: TO_SERVICE sends a packet to another
// service and the chain carries on after it; a TO_SERVICE cycle is cut by
// the hop limit, counted as a `loop` drop, never forwarded.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "onvm/v1/service.grpc.pb.h"
#include "stack.h"

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kConfig[] = R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: a}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Service
metadata: {name: b}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: only-a}
spec: {services: [a], then: {out: out}}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: all}
spec: {priority: 1, match: {inPort: in}, action: {chain: only-a}}
)";

// The hop limit of the engine (engine/worker.cc kMaxHops): TO_SERVICE
// jumps a packet may take.
constexpr int kMaxHops = 32;

class NfActionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    ASSERT_TRUE(stack_->Apply(kConfig).ok());
  }

  uint32_t ServiceId(const std::string& name) {
    auto services = onvm::v1::Services::NewStub(stack_->channel());
    grpc::ClientContext ctx;
    onvm::v1::Service svc;
    onvm::v1::GetServiceRequest req;
    req.set_name(name);
    EXPECT_TRUE(services->GetService(&ctx, req, &svc).ok());
    return svc.status().id();
  }

  std::vector<Frame> Frames(int n) {
    std::vector<Frame> frames;
    for (int i = 0; i < n; ++i) {
      frames.push_back(PacketBuilder()
                           .Ipv4("10.1.0.1", "10.1.0.2")
                           .Udp(static_cast<uint16_t>(3000 + i), 53)
                           .Sequence(static_cast<uint32_t>(i))
                           .FrameSize(128)
                           .Build());
    }
    return frames;
  }

  std::unique_ptr<Stack> stack_;
};

TEST_F(NfActionsTest, ToServiceSendsThePacketThroughAnotherServiceThenOnAlongTheChain) {
  const std::string b_id = absl::StrCat(ServiceId("b"));
  ASSERT_TRUE(stack_->StartNf("onvm-test-nf", "a", {"--to-service", b_id}).ok());
  ASSERT_TRUE(stack_->StartNf("onvm-test-nf", "b").ok());
  auto in = stack_->OpenPeer("in");
  ASSERT_TRUE(in.ok()) << in.status();
  auto out = stack_->OpenPeer("out");
  ASSERT_TRUE(out.ok()) << out.status();
  const std::vector<Frame> frames = Frames(100);
  ASSERT_TRUE((*in)->SendAll(frames).ok());
  const std::vector<Frame> got = (*out)->Receive(seconds(10), frames.size());
  ASSERT_EQ(got.size(), frames.size()) << stack_->Logs();
  for (size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(got[i], frames[i]) << "frame " << i;
  // Every packet went through b, which is not in the chain.
  EXPECT_TRUE(
      stack_->WaitMetric("onvm_nf_rx_packets_total", {{"service", "b"}, {"instance", "2"}}, 100));
  EXPECT_EQ(stack_->Metric("onvm_engine_dropped_packets_total", {{"reason", "loop"}}), 0);
}

TEST_F(NfActionsTest, ATOServiceCycleIsCutByTheHopLimitCountedAndDropped) {
  // a sends everything to itself.
  const std::string a_id = absl::StrCat(ServiceId("a"));
  ASSERT_TRUE(stack_->StartNf("onvm-test-nf", "a", {"--to-service", a_id}).ok());
  auto in = stack_->OpenPeer("in");
  ASSERT_TRUE(in.ok()) << in.status();
  auto out = stack_->OpenPeer("out");
  ASSERT_TRUE(out.ok()) << out.status();
  const std::vector<Frame> frames = Frames(50);
  ASSERT_TRUE((*in)->SendAll(frames).ok());
  EXPECT_TRUE(stack_->WaitMetric("onvm_engine_dropped_packets_total", {{"reason", "loop"}}, 50))
      << stack_->Logs();
  // Each packet went round kMaxHops times (the first visit, then a jump
  // per visit until the limit), and none came out.
  EXPECT_TRUE(stack_->WaitMetric("onvm_nf_rx_packets_total", {{"service", "a"}, {"instance", "1"}},
                                 50.0 * kMaxHops));
  EXPECT_TRUE((*out)->Receive(milliseconds(500)).empty());
  EXPECT_EQ(stack_->Metric("onvm_port_tx_packets_total", {{"port", "out"}}), 0);
  EXPECT_TRUE(stack_->engine().Running());
}

}  // namespace
}  // namespace onvm::testing
