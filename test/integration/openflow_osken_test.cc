// The agent in active mode (--openflow-controller) under a real controller:
// an os-ken app (Debian's python3-os-ken, openflow_osken_app.py) accepts the
// agent's connection, finds the chain's logical port in PORT_DESC and
// installs a flow steering UDP port 53 through it. Traffic shows the flow
// taking effect: the DNS frames come out of `out` after the NF, the rest is
// dropped, and the flow's counters (read with ovs-ofctl over the passive
// port, which runs at the same time) count them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "stack.h"

namespace onvm::testing {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

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
)";

TEST(OpenFlowOsKenTest, ControllerSteersDnsThroughAChain) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
  const std::string osken = FindExecutable("osken-manager");
  ASSERT_FALSE(osken.empty()) << "osken-manager not found: this test needs Debian's "
                                 "python3-os-ken (bash scripts/setup.sh installs it)";
  const std::string ofctl = FindExecutable("ovs-ofctl");
  ASSERT_FALSE(ofctl.empty()) << "ovs-ofctl not found: install openvswitch-common";

  TempDir tmp;
  const uint16_t controller_port = FreeTcpPort();
  const std::string passive = absl::StrCat("127.0.0.1:", FreeTcpPort());
  // Debian's interpreter, whatever python3 comes first in PATH.
  ProcessOptions py;
  py.env = {"ONVM_CHAIN=dns"};
  auto controller =
      Process::Start("/usr/bin/python3",
                     {osken, "--ofp-listen-host", "127.0.0.1", "--ofp-tcp-listen-port",
                      absl::StrCat(controller_port), "--verbose", ONVM_OSKEN_APP},
                     tmp.File("osken.log"), py);
  ASSERT_TRUE(controller.ok()) << controller.status();

  StackOptions options;
  options.agent_args = {"--openflow-controller", absl::StrCat("tcp:127.0.0.1:", controller_port),
                        "--openflow-listen", passive};
  auto stack = Stack::Start(options);
  ASSERT_TRUE(stack.ok()) << stack.status();
  ASSERT_TRUE((*stack)->Apply(kSetup).ok()) << (*stack)->Logs();

  // The controller's flow arrives as a rule of origin openflow.
  CommandResult rules;
  const bool installed = WaitFor(
      [&] {
        rules = (*stack)->Onvmctl({"get", "rules", "-o", "wide"});
        // A line "of-<16 hex> ... chain:dns ... openflow".
        for (absl::string_view line : absl::StrSplit(rules.output, '\n')) {
          if (absl::StartsWith(line, "of-") && absl::StrContains(line, " chain:dns ") &&
              absl::EndsWith(absl::StripTrailingAsciiWhitespace(line), " openflow")) {
            return true;
          }
        }
        return false;
      },
      seconds(60), std::chrono::milliseconds(250));
  ASSERT_TRUE(installed) << rules.output << "\nos-ken log:\n"
                         << (*controller)->Log() << (*stack)->Logs();
  EXPECT_THAT((*controller)->Log(), HasSubstr("onvm-test: flow installed"));
  EXPECT_THAT((*controller)->Log(), ::testing::Not(HasSubstr("onvm-test: error")));

  auto nf = (*stack)->StartForwardNf("fwd");
  ASSERT_TRUE(nf.ok()) << nf.status();
  auto in = (*stack)->OpenPeer("in");
  ASSERT_TRUE(in.ok()) << in.status();
  auto out = (*stack)->OpenPeer("out");
  ASSERT_TRUE(out.ok()) << out.status();
  constexpr int kDns = 16;
  for (int i = 0; i < kDns; ++i) {
    ASSERT_TRUE((*in)
                    ->Send(PacketBuilder()
                               .Ipv4("198.51.100.7", "198.51.100.53")
                               .Udp(static_cast<uint16_t>(50000 + i), 53)
                               .Build())
                    .ok());
    // Not DNS: matches no rule, dropped (no_match).
    ASSERT_TRUE(
        (*in)
            ->Send(PacketBuilder().Ipv4("198.51.100.7", "198.51.100.53").Udp(50000, 5353).Build())
            .ok());
  }
  std::vector<Frame> got = (*out)->Receive(seconds(5), 2 * kDns);
  EXPECT_EQ(got.size(), static_cast<size_t>(kDns)) << (*stack)->Logs();

  std::string dump;
  const bool counted = WaitFor(
      [&] {
        CommandResult d = RunCommand(
            {ofctl, "-O", "OpenFlow13", "dump-flows", absl::StrCat("tcp:", passive)}, seconds(20));
        dump = d.output;
        return dump.find(absl::StrCat("n_packets=", kDns, ",")) != std::string::npos;
      },
      seconds(10), std::chrono::milliseconds(200));
  EXPECT_TRUE(counted) << dump;
  EXPECT_THAT(dump, HasSubstr("cookie=0xd5"));
  EXPECT_THAT(dump, HasSubstr("priority=100,udp,tp_dst=53 actions=output:32769"));

  (*stack)->Stop();
  (*controller)->Signal(SIGTERM);
  (*controller)->WaitExit(seconds(10));
}

}  // namespace
}  // namespace onvm::testing
