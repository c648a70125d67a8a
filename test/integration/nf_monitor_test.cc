// onvm-nf-monitor through a real engine: every packet passes, and its own
// per-protocol counters reach /metrics as onvm_nf_custom_total with exactly
// what was sent; with --drop-malformed yes, cut-short packets are dropped.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

#include "stack.h"

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kChain[] = R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: mon}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: watched}
spec: {services: [mon], then: {out: out}}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: from-in}
spec: {priority: 100, match: {inPort: in}, action: {chain: watched}}
)";

struct Traffic {
  std::vector<Frame> frames;
  std::map<std::string, uint64_t> want;  // counter name -> value
  size_t malformed = 0;
};

Traffic MakeTraffic() {
  Traffic t;
  // `l4_bytes`: the per-protocol byte counter the frame adds to, if any.
  auto add = [&t](const Frame& f, std::initializer_list<const char*> counters,
                  const char* l4_bytes) {
    t.frames.push_back(f);
    t.want["packets"] += 1;
    t.want["bytes"] += f.size();
    for (const char* c : counters) t.want[c] += 1;
    if (l4_bytes != nullptr) t.want[l4_bytes] += f.size();
  };
  for (uint32_t i = 0; i < 40; ++i) {
    add(PacketBuilder()
            .Ipv4("10.0.0.1", "10.0.0.2")
            .Tcp(1000, 80)
            .Sequence(i)
            .FrameSize(64 + i * 20)
            .Build(),
        {"ipv4_packets", "tcp_packets"}, "tcp_bytes");
  }
  for (uint32_t i = 0; i < 30; ++i) {
    add(PacketBuilder()
            .Vlan(7)
            .Ipv6("2001:db8::1", "2001:db8::2")
            .Udp(53, 53)
            .Sequence(i)
            .FrameSize(100)
            .Build(),
        {"ipv6_packets", "udp_packets", "vlan_packets"}, "udp_bytes");
  }
  for (uint32_t i = 0; i < 20; ++i) {
    add(PacketBuilder().Ipv4("10.0.0.1", "10.0.0.3").IpProto(1).Sequence(i).FrameSize(80).Build(),
        {"ipv4_packets", "icmp_packets"}, "icmp_bytes");
  }
  for (uint32_t i = 0; i < 10; ++i) {
    add(PacketBuilder().EtherType(0x0806).Sequence(i).FrameSize(60).Build(), {"arp_packets"},
        nullptr);
  }
  for (uint32_t i = 0; i < 5; ++i) {
    add(PacketBuilder().Ipv4("10.0.0.1", "10.0.0.4").IpProto(47).Sequence(i).FrameSize(90).Build(),
        {"ipv4_packets", "other_l4_packets"}, nullptr);
  }
  for (uint32_t i = 0; i < 8; ++i) {
    // A TCP segment cut before its ports end: a truncated L4 header.
    Frame f = PacketBuilder().Ipv4("10.0.0.1", "10.0.0.5").Tcp(2000, 443).FrameSize(200).Build();
    f.resize(14 + 20 + 2);
    add(f, {"ipv4_packets", "tcp_packets", "malformed_packets"}, "tcp_bytes");
    ++t.malformed;
  }
  return t;
}

class MonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    ASSERT_TRUE(stack_->Apply(kChain).ok());
  }

  // Sends the traffic and waits until the engine has dealt with all of it.
  void Run(const Traffic& t, size_t expect_out) {
    auto in = stack_->OpenPeer("in");
    ASSERT_TRUE(in.ok()) << in.status();
    auto out = stack_->OpenPeer("out");
    ASSERT_TRUE(out.ok()) << out.status();
    ASSERT_TRUE((*in)->SendAll(t.frames).ok());
    std::vector<Frame> got = (*out)->Receive(seconds(10), expect_out);
    EXPECT_EQ(got.size(), expect_out) << stack_->Logs();
    ASSERT_TRUE(stack_->WaitMetric("onvm_port_rx_packets_total", {{"port", "in"}},
                                   static_cast<double>(t.frames.size())));
  }

  std::unique_ptr<Stack> stack_;
};

TEST_F(MonitorTest, CountsEveryProtocolAsItsOwnCountersAndPassesEverything) {
  ASSERT_TRUE(stack_->StartNf("onvm-nf-monitor", "mon").ok()) << stack_->Logs();
  const Traffic t = MakeTraffic();
  Run(t, t.frames.size());
  for (const auto& [name, value] : t.want) {
    EXPECT_TRUE(stack_->WaitMetric("onvm_nf_custom_total",
                                   {{"service", "mon"}, {"instance", "1"}, {"name", name}},
                                   static_cast<double>(value)))
        << name << ": want " << value << ", got "
        << stack_
               ->Metric("onvm_nf_custom_total",
                        {{"service", "mon"}, {"instance", "1"}, {"name", name}})
               .value_or(-1);
  }
  // Declared but never seen: present, zero.
  EXPECT_EQ(stack_->Metric("onvm_nf_custom_total",
                           {{"service", "mon"}, {"instance", "1"}, {"name", "other_l3_packets"}}),
            0);
}

TEST_F(MonitorTest, DropsMalformedPacketsWhenAsked) {
  ASSERT_TRUE(stack_->StartNf("onvm-nf-monitor", "mon", {"--drop-malformed", "yes"}).ok());
  const Traffic t = MakeTraffic();
  Run(t, t.frames.size() - t.malformed);
  EXPECT_TRUE(stack_->WaitMetric("onvm_nf_dropped_packets_total",
                                 {{"service", "mon"}, {"instance", "1"}, {"reason", "handler"}},
                                 static_cast<double>(t.malformed)));
  EXPECT_TRUE(
      stack_->WaitMetric("onvm_nf_custom_total",
                         {{"service", "mon"}, {"instance", "1"}, {"name", "malformed_packets"}},
                         static_cast<double>(t.malformed)));
}

TEST_F(MonitorTest, BadFlagIsAUsageError) {
  auto p = Process::Start(
      BinPath("onvm-nf-monitor"),
      {"--engine", stack_->engine_name(), "--service", "mon", "--drop-malformed", "maybe"},
      stack_->tmp().File("nf-bad.log"));
  ASSERT_TRUE(p.ok()) << p.status();
  std::optional<ExitStatus> st = (*p)->WaitExit(seconds(30));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->code, 2) << (*p)->Log();
  EXPECT_NE((*p)->Log().find("--drop-malformed: 'maybe' is not yes or no"), std::string::npos)
      << (*p)->Log();
}

}  // namespace
}  // namespace onvm::testing
