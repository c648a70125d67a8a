// onvmctl's version, describe, scale, top and completion verbs against the
// real stack: engine on net_af_packet ports, agent, a forward NF, traffic.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "stack.h"

namespace onvm::testing {
namespace {

using ::testing::HasSubstr;

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

int ExitCode(const CommandResult& r) { return r.status.exited ? r.status.code : -1; }

// The whitespace-separated cells of the first line of `text` whose first
// cell is `first`.
std::vector<std::string> Row(const std::string& text, const std::string& first) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<std::string> cells = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (!cells.empty() && cells[0] == first) return cells;
  }
  return {};
}

// The number after "KEY:" on the first line of a describe output with it.
std::optional<uint64_t> DescribedValue(const std::string& text, const std::string& key) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    const size_t at = line.find(key + ":");
    if (at == absl::string_view::npos) continue;
    uint64_t value = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(at + key.size() + 1)), &value)) {
      return value;
    }
  }
  return std::nullopt;
}

double Number(const std::vector<std::string>& row, size_t column) {
  double value = -1;
  if (column < row.size() && !absl::SimpleAtod(row[column], &value)) return -1;
  return value;
}

class CliVerbsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    ASSERT_TRUE(stack_->Apply(kChain).ok());
    auto nf = stack_->StartForwardNf("fwd");
    ASSERT_TRUE(nf.ok()) << nf.status();
    auto in = stack_->OpenPeer("in");
    ASSERT_TRUE(in.ok()) << in.status();
    in_ = *std::move(in);
    auto out = stack_->OpenPeer("out");
    ASSERT_TRUE(out.ok()) << out.status();
    out_ = *std::move(out);
  }

  // Sends `count` frames through the chain and waits for each at `out`.
  void SendThrough(size_t count) {
    const std::vector<Frame> frames = GenerateTraffic(count, /*seed=*/11);
    size_t received = 0;
    for (const Frame& f : frames) {
      ASSERT_TRUE(in_->Send(f).ok());
      if (out_->ReceiveOne(std::chrono::seconds(5)).has_value()) ++received;
    }
    ASSERT_EQ(received, count) << stack_->Logs();
  }

  std::unique_ptr<Stack> stack_;
  std::unique_ptr<RawSocket> in_;
  std::unique_ptr<RawSocket> out_;
};

TEST_F(CliVerbsTest, VersionShowsTheServerAndUnreachableExitsThree) {
  CommandResult r = stack_->Onvmctl({"version"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Client Version: 0.1.0\n"));
  EXPECT_THAT(r.output,
              HasSubstr("Server Version: 0.1.0, engine " + stack_->engine_name() + " (DPDK "));
  EXPECT_THAT(r.output, HasSubstr(", boot id "));

  // A later --server wins over the stack's.
  r = stack_->Onvmctl({"--server", "unix:/nonexistent-onvm-dir/agent.sock", "version"});
  EXPECT_EQ(ExitCode(r), 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Client Version: 0.1.0\n"));
  EXPECT_THAT(r.output, HasSubstr("cannot reach the onvm agent"));
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("Server Version")));
}

TEST_F(CliVerbsTest, DescribeShowsCounters) {
  constexpr size_t kFrames = 100;
  SendThrough(kFrames);
  ASSERT_TRUE(stack_->WaitMetric("onvm_port_rx_packets_total", {{"port", "in"}}, kFrames));
  ASSERT_TRUE(stack_->WaitMetric("onvm_nf_rx_packets_total",
                                 {{"service", "fwd"}, {"instance", "1"}}, kFrames));

  CommandResult r = stack_->Onvmctl({"describe", "port", "in"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Kind:"));
  EXPECT_EQ(DescribedValue(r.output, "RX Packets"), kFrames) << r.output;

  r = stack_->Onvmctl({"describe", "po", "out"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  EXPECT_EQ(DescribedValue(r.output, "TX Packets"), kFrames) << r.output;

  r = stack_->Onvmctl({"describe", "instance", "fwd-1"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  EXPECT_EQ(DescribedValue(r.output, "RX Packets"), kFrames) << r.output;
  EXPECT_THAT(r.output, HasSubstr("running"));

  r = stack_->Onvmctl({"describe", "svc", "fwd"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  EXPECT_EQ(DescribedValue(r.output, "Ready Replicas"), 1u) << r.output;
  std::vector<std::string> row = Row(r.output, "fwd-1");
  ASSERT_GE(row.size(), 4u) << r.output;
  EXPECT_EQ(row[1], "running");
  EXPECT_EQ(Number(row, 3), kFrames);

  r = stack_->Onvmctl({"describe", "chain", "through"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("out:out"));
  EXPECT_FALSE(Row(r.output, "1").empty()) << r.output;

  r = stack_->Onvmctl({"describe", "rule", "from-in"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("chain:through"));
  EXPECT_TRUE(DescribedValue(r.output, "Hits").has_value()) << r.output;

  r = stack_->Onvmctl({"describe", "svc", "nope"});
  EXPECT_EQ(ExitCode(r), 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("(NotFound)"));
  r = stack_->Onvmctl({"describe", "svc"});
  EXPECT_EQ(ExitCode(r), 2) << r.output;
}

TEST_F(CliVerbsTest, ScaleWaitsForReadyReplicas) {
  CommandResult r = stack_->Onvmctl({"scale", "service", "fwd", "--replicas", "1", "--wait"});
  EXPECT_EQ(ExitCode(r), 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("service/fwd scaled"));

  const auto start = std::chrono::steady_clock::now();
  r = stack_->Onvmctl({"scale", "service", "fwd", "--replicas", "2", "--wait", "--timeout", "2s"});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(ExitCode(r), 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("timed out after 2s"));
  EXPECT_LT(took, std::chrono::seconds(10));

  // The change was stored all the same.
  r = stack_->Onvmctl({"get", "svc", "fwd", "-o", "json"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"replicas\": 2"));

  r = stack_->Onvmctl({"scale", "chain", "through", "--replicas", "2"});
  EXPECT_EQ(ExitCode(r), 2) << r.output;
  r = stack_->Onvmctl({"scale", "svc", "ghost", "--replicas", "2"});
  EXPECT_EQ(ExitCode(r), 1) << r.output;
}

TEST_F(CliVerbsTest, TopPrintsPortsAndInstanceWithRates) {
  // Steady traffic while top takes its two samples.
  std::atomic<bool> stop{false};
  std::thread sender([&] {
    const std::vector<Frame> frames = GenerateTraffic(64, /*seed=*/3);
    for (size_t i = 0; !stop.load(); ++i) {
      (void)in_->Send(frames[i % frames.size()]);
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CommandResult r = stack_->Onvmctl({"top"});
  stop = true;
  sender.join();
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("\033[")));  // not a terminal: no clearing

  // At most ~2000 frames a second are sent; anything from 20 up is plausible
  // on a loaded machine.
  const std::vector<std::string> in = Row(r.output, "in");
  ASSERT_GE(in.size(), 7u) << r.output;
  EXPECT_EQ(in[1], "up");
  EXPECT_GT(Number(in, 2), 20) << r.output;
  EXPECT_LT(Number(in, 2), 5000) << r.output;
  const std::vector<std::string> out = Row(r.output, "out");
  ASSERT_GE(out.size(), 7u) << r.output;
  EXPECT_GT(Number(out, 4), 20) << r.output;
  const std::vector<std::string> nf = Row(r.output, "fwd-1");
  ASSERT_GE(nf.size(), 6u) << r.output;
  EXPECT_EQ(nf[1], "fwd");
  EXPECT_GT(Number(nf, 3), 20) << r.output;
  EXPECT_LT(Number(nf, 3), 5000) << r.output;

  r = stack_->Onvmctl({"top", "extra"});
  EXPECT_EQ(ExitCode(r), 2) << r.output;
}

TEST_F(CliVerbsTest, CompletionBashPassesBashN) {
  CommandResult r = stack_->Onvmctl({"completion", "bash"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  const std::string path = stack_->tmp().File("onvmctl.bash");
  WriteFile(path, r.output);
  CommandResult check = RunCommand({"bash", "-n", path});
  EXPECT_TRUE(check.ok()) << check.output;
  r = stack_->Onvmctl({"completion", "zsh"});
  EXPECT_EQ(ExitCode(r), 0) << r.output;
  r = stack_->Onvmctl({"completion", "tcsh"});
  EXPECT_EQ(ExitCode(r), 2) << r.output;
}

}  // namespace
}  // namespace onvm::testing
