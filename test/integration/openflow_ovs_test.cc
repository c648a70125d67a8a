// The agent's OpenFlow switch against a real foreign tool: Open vSwitch's
// `ovs-ofctl -O OpenFlow13` (Debian's openvswitch-common) adds, dumps and
// deletes flows and reads port stats and descriptions from a running agent
// (--openflow-listen), and traffic through the engine shows the flows take
// effect: UDP port 53 steered through a chain (an NF) to `out`, counted in
// the flow's n_packets. Rules from gRPC and from OpenFlow coexist and
// neither side deletes the other's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <iostream>
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "stack.h"

namespace onvm::testing {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

// Chain "dns" (id 1, OpenFlow port 0x8001 = 32769) through the forward NF
// to `out`, and a gRPC rule of low priority that drops everything else.
constexpr char kSetup[] = R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: fwd}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: dns}
spec:
  services: [fwd]
  then: {out: out}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: grpc-rest}
spec:
  priority: 1
  match: {}
  action: {drop: true}
)";

// n_packets=N of the flow line containing `needle`; -1 if none.
double FlowPackets(const std::string& dump, const std::string& needle) {
  for (absl::string_view line : absl::StrSplit(dump, '\n')) {
    if (line.find(needle) == absl::string_view::npos) continue;
    const std::string l(line);
    std::smatch sm;
    if (std::regex_search(l, sm, std::regex("n_packets=([0-9]+)"))) return std::stod(sm[1]);
  }
  return -1;
}

class OpenFlowOvsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
    ofctl_ = FindExecutable("ovs-ofctl");
    ASSERT_FALSE(ofctl_.empty())
        << "ovs-ofctl not found: this test needs Debian's openvswitch-common "
           "(bash scripts/setup.sh installs it)";
    switch_ = absl::StrCat("tcp:127.0.0.1:", FreeTcpPort());
    StackOptions options;
    options.agent_args = {"--openflow-listen", switch_.substr(4)};
    auto stack = Stack::Start(options);
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    ASSERT_TRUE(stack_->Apply(kSetup).ok()) << stack_->Logs();
  }

  CommandResult Ofctl(const std::string& command, std::vector<std::string> args = {}) {
    std::vector<std::string> argv = {ofctl_, "-O", "OpenFlow13", "--no-names", command, switch_};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, seconds(20));
  }

  std::string ofctl_;
  std::string switch_;
  std::unique_ptr<Stack> stack_;
};

TEST_F(OpenFlowOvsTest, OvsOfctlProgramsTheClassifierAndReadsCounters) {
  // Ports: the engine's (DPDK port id + 1) and the chain as a logical port.
  CommandResult r = Ofctl("dump-ports-desc");
  ASSERT_TRUE(r.ok()) << r.output << stack_->Logs();
  EXPECT_THAT(r.output, HasSubstr(" 1(in): addr:"));
  EXPECT_THAT(r.output, HasSubstr(" 2(out): addr:"));
  EXPECT_THAT(r.output, HasSubstr(" 32769(dns): addr:"));

  // A flow the classifier cannot do is refused with the OpenFlow error,
  // and nothing is installed.
  r = Ofctl("add-flow", {"priority=50,dl_src=00:11:22:33:44:55,actions=drop"});
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.output, HasSubstr("OFPBMC_BAD_FIELD"));
  r = Ofctl("add-flow", {"priority=50,ip,nw_dst=10.0.0.0/255.0.255.0,actions=drop"});
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.output, HasSubstr("OFPBMC_BAD_NW_ADDR_MASK"));

  // UDP port 53 from `in` through the chain; TCP port 80 straight out.
  r = Ofctl("add-flow", {"cookie=0x53,priority=100,in_port=1,udp,tp_dst=53,actions=output:32769"});
  ASSERT_TRUE(r.ok()) << r.output << stack_->Logs();
  r = Ofctl("add-flow", {"cookie=0x80,priority=90,tcp,nw_dst=192.0.2.0/24,tp_dst=80,"
                         "actions=output:2"});
  ASSERT_TRUE(r.ok()) << r.output << stack_->Logs();

  // Both sides' rules in one table, each with its origin.
  r = stack_->Onvmctl({"get", "rules", "-o", "wide"});
  ASSERT_TRUE(r.ok()) << r.output;
  std::cout << "onvmctl get rules -o wide:\n" << r.output;
  EXPECT_THAT(r.output, ::testing::ContainsRegex("grpc-rest .* grpc\n"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("of-[0-9a-f]{16} .*chain:dns .* openflow\n"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("of-[0-9a-f]{16} .*out:out .* openflow\n"));

  auto nf = stack_->StartForwardNf("fwd");
  ASSERT_TRUE(nf.ok()) << nf.status();
  auto in = stack_->OpenPeer("in");
  ASSERT_TRUE(in.ok()) << in.status();
  auto out = stack_->OpenPeer("out");
  ASSERT_TRUE(out.ok()) << out.status();
  constexpr int kDns = 20;
  constexpr int kOther = 5;
  for (int i = 0; i < kDns; ++i) {
    ASSERT_TRUE((*in)
                    ->Send(PacketBuilder()
                               .Ipv4("198.51.100.7", "198.51.100.53")
                               .Udp(static_cast<uint16_t>(40000 + i), 53)
                               .Build())
                    .ok());
  }
  for (int i = 0; i < kOther; ++i) {  // dropped by the gRPC rule
    ASSERT_TRUE(
        (*in)
            ->Send(PacketBuilder().Ipv4("198.51.100.7", "198.51.100.53").Udp(40000, 54).Build())
            .ok());
  }
  // Out of `out` after the NF: exactly the DNS frames.
  std::vector<Frame> got = (*out)->Receive(seconds(5), kDns + kOther);
  EXPECT_EQ(got.size(), static_cast<size_t>(kDns)) << stack_->Logs();

  // The flow's counters are the engine's per-rule counters.
  std::string dump;
  const bool counted = WaitFor(
      [&] {
        CommandResult d = Ofctl("dump-flows");
        dump = d.output;
        return d.ok() && FlowPackets(dump, "tp_dst=53") == kDns;
      },
      seconds(10), std::chrono::milliseconds(200));
  EXPECT_TRUE(counted) << dump;
  std::cout << "ovs-ofctl -O OpenFlow13 dump-flows " << switch_ << ":\n" << dump;
  EXPECT_THAT(dump, HasSubstr("cookie=0x53"));
  EXPECT_THAT(dump, HasSubstr("priority=100,udp,in_port=1,tp_dst=53 actions=output:32769"));
  EXPECT_THAT(dump, HasSubstr("priority=90,tcp,nw_dst=192.0.2.0/24,tp_dst=80 actions=output:2"));
  EXPECT_THAT(dump, Not(HasSubstr("priority=1 ")));  // the gRPC rule is not a flow

  r = Ofctl("dump-aggregate");
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat("packet_count=", kDns)));
  EXPECT_THAT(r.output, HasSubstr("flow_count=2"));

  r = Ofctl("dump-ports");
  ASSERT_TRUE(r.ok()) << r.output;
  std::cout << "ovs-ofctl -O OpenFlow13 dump-ports " << switch_ << ":\n" << r.output;
  // The kernel may add a frame or two of its own on `in` (IPv6 neighbour
  // discovery), which the gRPC rule drops: at least ours arrived.
  std::smatch rx;
  ASSERT_TRUE(std::regex_search(r.output, rx, std::regex("port +1: rx pkts=([0-9]+),")))
      << r.output;
  EXPECT_GE(std::stod(rx[1]), kDns + kOther) << r.output;
  EXPECT_THAT(r.output, ::testing::ContainsRegex(absl::StrCat("port +2: .*\n.*tx pkts=", kDns)));

  // gRPC cannot delete an OpenFlow rule ...
  r = stack_->Onvmctl({"get", "rules", "-o", "name"});
  std::smatch sm;
  ASSERT_TRUE(std::regex_search(r.output, sm, std::regex("of-[0-9a-f]{16}"))) << r.output;
  const std::string of_rule = sm[0];
  r = stack_->Onvmctl({"delete", "rule", of_rule});
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.output, HasSubstr("OpenFlow"));
  // ... and OpenFlow's delete-all removes only its own.
  r = Ofctl("del-flows");
  ASSERT_TRUE(r.ok()) << r.output;
  r = Ofctl("dump-flows");
  EXPECT_THAT(r.output, Not(HasSubstr("priority=")));
  r = stack_->Onvmctl({"get", "rules"});
  EXPECT_THAT(r.output, HasSubstr("grpc-rest"));
  EXPECT_THAT(r.output, Not(HasSubstr("of-")));
}

}  // namespace
}  // namespace onvm::testing
