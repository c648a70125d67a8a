// onvmctl's version, describe, scale, top and completion verbs against the
// real stack: engine on net_af_packet ports, agent, a forward NF, traffic.
#include <gmock/gmock.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "onvm/v1/chain.pb.h"
#include "onvm/v1/rule.pb.h"
#include "stack.h"

namespace onvm::testing {
namespace {

using ::testing::HasSubstr;

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

// A latency as onvmctl prints it ("850ns", "15.0us", "1.20ms", "2.50s") in
// seconds; nullopt for "-" or anything else.
std::optional<double> Latency(const std::string& text) {
  for (const auto& [unit, scale] :
       {std::pair<const char*, double>{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1}}) {
    if (!absl::EndsWith(text, unit)) continue;
    double value = 0;
    if (!absl::SimpleAtod(text.substr(0, text.size() - std::string(unit).size()), &value)) {
      return std::nullopt;
    }
    return value * scale;
  }
  return std::nullopt;
}

// Parses `get KIND -o json` output (a List object) into a List*Response,
// whose `items` it fills; the List's apiVersion and kind are not fields of it.
template <typename Response>
bool ParseList(const std::string& json, Response* response) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  return google::protobuf::util::JsonStringToMessage(json, response, options).ok() &&
         absl::StrContains(json, "\"kind\": \"List\"");
}

class CliVerbsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    ASSERT_TRUE(stack_->Apply(kForwardChainYaml).ok());
    auto nf = stack_->StartForwardNf("fwd");
    ASSERT_TRUE(nf.ok()) << nf.status();
    auto in = stack_->OpenPeer("in");
    ASSERT_TRUE(in.ok()) << in.status();
    in_ = *std::move(in);
    auto out = stack_->OpenPeer("out");
    ASSERT_TRUE(out.ok()) << out.status();
    out_ = *std::move(out);
  }

  // Sends `count` frames through the chain and waits for each at `out`;
  // adds the bytes sent to `bytes` if given.
  void SendThrough(size_t count, uint64_t* bytes = nullptr) {
    const std::vector<Frame> frames = GenerateTraffic(count, /*seed=*/11);
    size_t received = 0;
    for (const Frame& f : frames) {
      ASSERT_TRUE(in_->Send(f).ok());
      if (bytes != nullptr) *bytes += f.size();
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

  ASSERT_TRUE(
      stack_->WaitMetric("onvm_chain_completed_packets_total", {{"chain", "through"}}, kFrames));
  r = stack_->Onvmctl({"describe", "chain", "through"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("out:out"));
  EXPECT_FALSE(Row(r.output, "1").empty()) << r.output;
  EXPECT_EQ(DescribedValue(r.output, "Packets"), kFrames) << r.output;
  EXPECT_EQ(DescribedValue(r.output, "Completed"), kFrames) << r.output;
  EXPECT_GT(DescribedValue(r.output, "Bytes").value_or(0), 60 * kFrames) << r.output;
  // Through an NF and back on one machine: more than nothing, less than the
  // histogram's last bound (100 ms) on any sane day; ordered.
  std::vector<double> latencies;
  for (const char* q : {"p50", "p90", "p99"}) {
    std::optional<double> seconds;
    for (absl::string_view text : absl::StrSplit(r.output, '\n')) {
      std::vector<std::string> cells = absl::StrSplit(text, ' ', absl::SkipEmpty());
      if (cells.size() == 3 && cells[0] == "Latency" && cells[1] == absl::StrCat(q, ":")) {
        seconds = Latency(cells[2]);
      }
    }
    ASSERT_TRUE(seconds.has_value()) << q << "\n" << r.output;
    EXPECT_GT(*seconds, 0) << r.output;
    EXPECT_LE(*seconds, 0.1) << r.output;
    latencies.push_back(*seconds);
  }
  EXPECT_LE(latencies[0], latencies[1]) << r.output;
  EXPECT_LE(latencies[1], latencies[2]) << r.output;

  r = stack_->Onvmctl({"describe", "rule", "from-in"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("chain:through"));
  EXPECT_EQ(DescribedValue(r.output, "Hits"), kFrames) << r.output;

  r = stack_->Onvmctl({"describe", "svc", "nope"});
  EXPECT_EQ(ExitCode(r), 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("(NotFound)"));
  r = stack_->Onvmctl({"describe", "svc"});
  EXPECT_EQ(ExitCode(r), 2) << r.output;
}

// After traffic through the chain, `get` shows what the engine counted, in
// every output format, and the outputs still apply back unchanged.
TEST_F(CliVerbsTest, GetShowsChainAndRuleTraffic) {
  constexpr size_t kFrames = 60;
  uint64_t bytes = 0;
  SendThrough(kFrames, &bytes);
  ASSERT_TRUE(
      stack_->WaitMetric("onvm_chain_completed_packets_total", {{"chain", "through"}}, kFrames));

  CommandResult r = stack_->Onvmctl({"get", "chains", "-o", "json"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  onvm::v1::ListChainsResponse chains;
  ASSERT_TRUE(ParseList(r.output, &chains)) << r.output;
  ASSERT_EQ(chains.items_size(), 1) << r.output;
  const onvm::v1::ChainStatus& chain = chains.items(0).status();
  EXPECT_EQ(chain.packets(), kFrames) << r.output;
  EXPECT_EQ(chain.completed_packets(), kFrames) << r.output;
  EXPECT_EQ(chain.bytes(), bytes) << r.output;
  ASSERT_EQ(chain.latency_bucket_bounds_seconds_size(), 14) << r.output;
  EXPECT_DOUBLE_EQ(chain.latency_bucket_bounds_seconds(0), 1e-6);
  EXPECT_DOUBLE_EQ(chain.latency_bucket_bounds_seconds(13), 0.1);
  ASSERT_EQ(chain.latency_bucket_counts_size(), 15) << r.output;
  uint64_t timed = 0;
  for (uint64_t count : chain.latency_bucket_counts()) timed += count;
  EXPECT_EQ(timed, kFrames) << r.output;
  EXPECT_GT(chain.latency_sum_seconds(), 0) << r.output;
  EXPECT_LT(chain.latency_sum_seconds(), 0.1 * kFrames) << r.output;

  r = stack_->Onvmctl({"get", "rule", "from-in", "-o", "json"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  onvm::v1::Rule rule;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.output, &rule).ok()) << r.output;
  EXPECT_EQ(rule.status().hits(), kFrames) << r.output;
  EXPECT_EQ(rule.status().bytes(), bytes) << r.output;

  // Wide tables: NAME ID SERVICES THEN PACKETS COMPLETED P50 P99 GENERATION,
  // and NAME ID PRIORITY MATCH ACTION HITS BYTES GENERATION ORIGIN.
  r = stack_->Onvmctl({"get", "chains", "-o", "wide"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  std::vector<std::string> row = Row(r.output, "through");
  ASSERT_EQ(row.size(), 9u) << r.output;
  EXPECT_EQ(Number(row, 4), kFrames) << r.output;
  EXPECT_EQ(Number(row, 5), kFrames) << r.output;
  EXPECT_TRUE(Latency(row[6]).has_value()) << r.output;
  EXPECT_TRUE(Latency(row[7]).has_value()) << r.output;
  r = stack_->Onvmctl({"get", "rules", "-o", "wide"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  row = Row(r.output, "from-in");
  ASSERT_EQ(row.size(), 9u) << r.output;
  EXPECT_EQ(row[8], "grpc") << r.output;
  EXPECT_EQ(Number(row, 5), kFrames) << r.output;
  EXPECT_EQ(Number(row, 6), static_cast<double>(bytes)) << r.output;

  // Counters in the output are output only: YAML and JSON apply back as
  // unchanged, and the state file never holds them.
  for (const char* format : {"yaml", "json"}) {
    for (const char* kind : {"chains", "rules"}) {
      r = stack_->Onvmctl({"get", kind, "-o", format});
      ASSERT_EQ(ExitCode(r), 0) << r.output;
      const std::string path = stack_->tmp().File(absl::StrCat("roundtrip-", kind, ".", format));
      WriteFile(path, r.output);
      r = stack_->Onvmctl({"apply", "-f", path});
      EXPECT_EQ(ExitCode(r), 0) << r.output;
      EXPECT_THAT(r.output, ::testing::AnyOf(HasSubstr("chain/through unchanged"),
                                             HasSubstr("rule/from-in unchanged")));
    }
  }
  const std::string state = ReadFileOrEmpty(stack_->tmp().File("state/state.json"));
  ASSERT_THAT(state, HasSubstr("\"through\"")) << state;
  for (const char* counter : {"packets", "hits", "latency", "bytes"}) {
    EXPECT_THAT(state, ::testing::Not(HasSubstr(counter))) << state;
  }
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
  // CHAIN  IN PPS  COMPLETED PPS  IN BPS  P50  P99: packets went through in
  // the interval, so it has latencies of its own.
  const std::vector<std::string> chain = Row(r.output, "through");
  ASSERT_EQ(chain.size(), 6u) << r.output;
  EXPECT_GT(Number(chain, 1), 20) << r.output;
  EXPECT_LT(Number(chain, 1), 5000) << r.output;
  EXPECT_GT(Number(chain, 2), 20) << r.output;
  const std::optional<double> p50 = Latency(chain[4]);
  const std::optional<double> p99 = Latency(chain[5]);
  ASSERT_TRUE(p50.has_value()) << r.output;
  ASSERT_TRUE(p99.has_value()) << r.output;
  EXPECT_GT(*p50, 0) << r.output;
  EXPECT_LE(*p50, *p99) << r.output;
  EXPECT_LE(*p99, 0.1) << r.output;
  // RULE  ACTION  HITS/S  BPS
  const std::vector<std::string> rule = Row(r.output, "from-in");
  ASSERT_EQ(rule.size(), 4u) << r.output;
  EXPECT_EQ(rule[1], "chain:through");
  EXPECT_GT(Number(rule, 2), 20) << r.output;

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

constexpr char kWatchedService[] = R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: watched}
spec: {replicas: 3}
)";

// `get -w` as a process sees a change another onvmctl makes; `events` and
// `describe` then show it too.
TEST_F(CliVerbsTest, GetWatchSeesAServiceAnotherOnvmctlCreates) {
  const std::string log = stack_->tmp().File("watch.log");
  auto watch = Process::Start(BinPath("onvmctl"),
                              {"--server", stack_->api_address(), "get", "services", "-w"}, log);
  ASSERT_TRUE(watch.ok()) << watch.status();
  // The initial table (the watch is in place once it is printed).
  ASSERT_TRUE((*watch)->WaitForLog("fwd", std::chrono::seconds(10))) << (*watch)->Describe();
  ASSERT_TRUE(stack_->Apply(kWatchedService).ok());
  ASSERT_TRUE((*watch)->WaitForLog("watched", std::chrono::seconds(10))) << (*watch)->Describe();
  EXPECT_TRUE((*watch)->Running()) << (*watch)->Describe();
  std::vector<std::string> row = Row((*watch)->Log(), "watched");
  ASSERT_GE(row.size(), 3u) << (*watch)->Log();
  EXPECT_EQ(row[2], "3") << (*watch)->Log();  // NAME ID REPLICAS READY
  (*watch)->Stop();

  CommandResult r = stack_->Onvmctl({"events", "service", "watched"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Created   service/watched"));
  r = stack_->Onvmctl({"describe", "svc", "watched"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Events:"));
  EXPECT_THAT(r.output, HasSubstr("created service \"watched\""));
  // The NF that registered in SetUp was reported.
  r = stack_->Onvmctl({"events", "instance"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("InstanceStarted   instance/fwd-1"));
}

TEST_F(CliVerbsTest, ApplyServerDryRunChangesNothingAndPruneRemovesWhatTheSetLacks) {
  const absl::Status extra =
      stack_->Apply("apiVersion: onvm/v1\nkind: Service\nmetadata: {name: extra}\n");
  ASSERT_TRUE(extra.ok()) << extra;
  const std::string set = stack_->tmp().File("set.yaml");
  ASSERT_TRUE(WriteFile(set, kForwardChainYaml));
  const std::string before = stack_->Onvmctl({"get", "services", "-o", "yaml"}).output;

  CommandResult r = stack_->Onvmctl({"apply", "-f", set, "--prune", "--dry-run=server"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("service/fwd unchanged (server dry run)\n"));
  EXPECT_THAT(r.output, HasSubstr("service/extra pruned (server dry run)\n"));
  EXPECT_EQ(stack_->Onvmctl({"get", "services", "-o", "yaml"}).output, before);

  r = stack_->Onvmctl({"apply", "-f", set, "--prune"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("service/extra pruned\n"));
  r = stack_->Onvmctl({"get", "services", "-o", "name"});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  EXPECT_EQ(r.output, "service/fwd\n");
}

}  // namespace
}  // namespace onvm::testing
