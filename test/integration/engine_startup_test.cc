// onvm-engine and NF start-up behaviour against the real binaries: bad
// ports, NFs without an engine or service, and pcap output on stop.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "stack.h"

namespace onvm::testing {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
  }
  // Runs onvm-engine to completion (it must exit by itself).
  CommandResult RunEngine(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {BinPath("onvm-engine"), "--name", UniqueName()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, seconds(60));
  }
};

TEST_F(EngineTest, BadPortFailsAtOnceNamingThePort) {
  struct Case {
    std::vector<std::string> args;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {{"--port", "wan=net_bogus0"}, "port 'wan': unknown driver"},
      {{"--port", "wan=net_null0", "--port", "wan=net_null1"}, "port 'wan': duplicate port name"},
      {{"--port", "a=net_null0", "--port", "b=net_null0"},
       "port 'b': device 'net_null0' is already used"},
      {{"--port", "lan=net_pcap0,no_such_arg=1"}, "port 'lan' (net_pcap0,no_such_arg=1)"},
      {{"--port", "Bad_Name=net_null0"}, "--port Bad_Name"},
      {{"--port", "wan"}, "--port 'wan': expected PNAME=DEVARGS"},
  };
  for (const Case& c : cases) {
    CommandResult r = RunEngine(c.args);
    EXPECT_FALSE(r.timed_out);
    EXPECT_FALSE(r.status.ok()) << r.output;
    EXPECT_THAT(r.output, HasSubstr(c.expect));
  }
}

TEST_F(EngineTest, LcoreIdOfTheNfsIsRefused) {
  // Every NF initialises EAL as lcore RTE_MAX_LCORE - 1 (127 in Debian's
  // DPDK) before it gives the id up, so the engine may not run on it.
  CommandResult r = RunEngine({"--port", "a=net_null0", "--lcores", "0@0,127@0"});
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.status.ok()) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--lcores: lcore id 127 is reserved for NFs"));
}

TEST_F(EngineTest, NfWithoutEngineExitsAtOnce) {
  CommandResult r = RunCommand(
      {BinPath("onvm-nf-forward"), "--engine", UniqueName(), "--service", "fwd"}, seconds(10));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.status.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("is running (cannot connect to /run/onvm/"));
}

TEST_F(EngineTest, NfForUnknownServiceIsRefused) {
  auto stack = Stack::Start();
  ASSERT_TRUE(stack.ok()) << stack.status();
  CommandResult r = RunCommand(
      {BinPath("onvm-nf-forward"), "--engine", (*stack)->engine_name(), "--service", "nosuch"},
      seconds(10));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.status.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("unknown service \"nosuch\""));
  auto instances = (*stack)->ListInstances();
  ASSERT_TRUE(instances.ok());
  EXPECT_EQ(instances->items_size(), 0);
}

// Packets sent out of a net_pcap port are all in its file once the engine
// has stopped (SIGTERM flushes pcap output), and the engine removes its
// hugepage files, runtime directory, stats segment and socket.
TEST_F(EngineTest, StopFlushesPcapAndRemovesEverything) {
  TempDir dir;
  const std::string pcap = dir.File("out.pcap");
  StackOptions options;
  options.devargs["out"] = "net_pcap0,tx_pcap=" + pcap;
  auto stack = Stack::Start(options);
  ASSERT_TRUE(stack.ok()) << stack.status();
  Stack& s = **stack;
  ASSERT_TRUE(s.Apply(R"(
apiVersion: onvm/v1
kind: Rule
metadata: {name: straight-out}
spec:
  priority: 1
  match: {inPort: in}
  action: {out: out}
)")
                  .ok());
  auto in = s.OpenPeer("in");
  ASSERT_TRUE(in.ok());
  const std::vector<Frame> frames = GenerateTraffic(300, /*seed=*/3);
  // 300 frames fit in the engine's af_packet rx ring (512 frames): no
  // flow control needed.
  ASSERT_TRUE((*in)->SendAll(frames).ok());
  ASSERT_TRUE(s.WaitMetric("onvm_port_tx_packets_total", {{"port", "out"}}, 300)) << s.Logs();
  const std::string name = s.engine_name();
  s.Stop();
  EXPECT_TRUE(s.engine().exit_status()->ok()) << s.engine().Describe();

  auto read = ReadPcap(pcap);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, frames);

  namespace fs = std::filesystem;
  EXPECT_FALSE(fs::exists("/dev/shm/onvm-" + name + ".stats"));
  EXPECT_FALSE(fs::exists("/run/onvm/" + name + ".sock"));
  EXPECT_FALSE(fs::exists("/var/run/dpdk/onvm-" + name));
  for (const auto& e : fs::directory_iterator("/dev/hugepages")) {
    EXPECT_THAT(e.path().filename().string(), ::testing::Not(HasSubstr("onvm-" + name)));
  }
}

}  // namespace
}  // namespace onvm::testing
