// Micro-benchmarks of the engine's per-packet structures (Google Benchmark):
//   - the rte_acl classifier: bursts of 32 keys against 1 / 1,000 / 10,000
//     random rules (the unit tests' generator: every match field mixed),
//     with and without parsing, next to the linear scan it replaced;
//   - compiling 10,000 rules;
//   - replica tables: a lookup per packet, and building one.
// Runs on an in-memory EAL without hugepages; see bench/README.md.
#include <benchmark/benchmark.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "classifier.h"
#include "dpdk_files.h"
#include "maglev.h"
#include "onvm/packet_key.h"
#include "rule_gen.h"

namespace onvm::engine {
namespace {

using ::onvm::engine::testing::AsClassifierRules;
using ::onvm::engine::testing::GenFrame;
using ::onvm::engine::testing::GenRule;
using ::onvm::engine::testing::LinearClassify;
using ::onvm::engine::testing::TrafficGen;

constexpr uint32_t kBurst = 32;
constexpr size_t kPackets = 8192;  // a multiple of kBurst per port, cycled

// Rules, their classifier and frames aimed at them, grouped in bursts of 32
// that arrive on one port.
struct Workload {
  std::vector<GenRule> rules;
  Classifier classifier;
  std::vector<GenFrame> frames;
  std::vector<PacketKey> keys;
  std::vector<AclKey> acl_keys;
};

// The two rule sets: firewall-ACL style 5-tuples, and the unit tests'
// stress mix of every field and shape.
enum RuleSet : int64_t { kAcl = 0, kMixed = 1 };

std::vector<GenRule> MakeRules(TrafficGen* gen, RuleSet set, size_t n) {
  return set == kAcl ? gen->AclRules(n) : gen->RandomRules(n);
}

const Workload& GetWorkload(benchmark::State& state) {
  const auto rule_count = static_cast<size_t>(state.range(0));
  const auto set = static_cast<RuleSet>(state.range(1));
  static auto* cache = new std::vector<std::pair<std::pair<size_t, RuleSet>, Workload*>>();
  for (auto& [key, w] : *cache) {
    if (key == std::make_pair(rule_count, set)) return *w;
  }
  auto* w = new Workload();
  TrafficGen gen(rule_count * 7919 + 1);
  w->rules = MakeRules(&gen, set, rule_count);
  auto c = Classifier::Build(AsClassifierRules(w->rules));
  if (!c.ok()) {
    std::fprintf(stderr, "classifier: %s\n", std::string(c.status().message()).c_str());
    std::abort();
  }
  w->classifier = *std::move(c);
  // Bursts from one port each, ports in turn.
  std::vector<std::vector<GenFrame>> by_port(testing::kGenPorts);
  while (w->frames.size() < kPackets) {
    GenFrame f = gen.RandomFrame(w->rules);
    std::vector<GenFrame>& q = by_port[f.in_port];
    q.push_back(std::move(f));
    if (q.size() == kBurst) {
      for (GenFrame& g : q) w->frames.push_back(std::move(g));
      q.clear();
    }
  }
  w->keys.resize(w->frames.size());
  w->acl_keys.resize(w->frames.size());
  for (size_t i = 0; i < w->frames.size(); ++i) {
    ParsePacket(w->frames[i].bytes.data(), w->frames[i].bytes.size(), &w->keys[i]);
    MakeAclKey(w->keys[i], w->frames[i].in_port, &w->acl_keys[i]);
  }
  cache->push_back({{rule_count, set}, w});
  return *w;
}

// Items per second, and seconds per packet (printed as e.g. "35.2n").
void SetPerPacket(benchmark::State& state, size_t packets) {
  state.SetItemsProcessed(static_cast<int64_t>(packets));
  state.counters["per_pkt"] = benchmark::Counter(
      static_cast<double>(packets), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// rules x {acl, mixed}
void RuleArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rules", "mixed"});
  for (int64_t set : {kAcl, kMixed}) {
    for (int64_t n : {1, 1000, 10000}) b->Args({n, set});
  }
}

// Classification of prepared keys, a burst of 32 per call, over `distinct`
// packets in turn.
void Classify(benchmark::State& state, size_t distinct) {
  const Workload& w = GetWorkload(state);
  uint32_t rule[kBurst];
  size_t at = 0;
  size_t packets = 0;
  size_t matched = 0;
  for (auto _ : state) {
    w.classifier.Classify(w.frames[at].in_port, &w.acl_keys[at], kBurst, rule);
    for (uint32_t r : rule) matched += r != Classifier::kNoMatch;
    benchmark::DoNotOptimize(rule);
    at = (at + kBurst) % std::min(distinct, w.frames.size());
    packets += kBurst;
  }
  SetPerPacket(state, packets);
  state.counters["contexts"] = static_cast<double>(w.classifier.context_count());
  state.counters["hit_pct"] = 100.0 * static_cast<double>(matched) / static_cast<double>(packets);
}
// 8192 packets aimed at random rules: the tries' working set is not cached.
void BM_Classify(benchmark::State& state) { Classify(state, kPackets); }
BENCHMARK(BM_Classify)->Apply(RuleArgs);

// Two bursts over and over: the paths they take stay in cache, as for a
// few heavy flows.
void BM_ClassifyHot(benchmark::State& state) { Classify(state, 2 * kBurst); }
BENCHMARK(BM_ClassifyHot)->Apply(RuleArgs);

// What the worker does per rx burst: parse, build keys, classify.
void BM_ParseAndClassify(benchmark::State& state) {
  const Workload& w = GetWorkload(state);
  PacketKey keys[kBurst];
  AclKey acl[kBurst];
  uint32_t rule[kBurst];
  size_t at = 0;
  size_t packets = 0;
  for (auto _ : state) {
    const uint16_t port = w.frames[at].in_port;
    for (uint32_t i = 0; i < kBurst; ++i) {
      const GenFrame& f = w.frames[at + i];
      ParsePacket(f.bytes.data(), f.bytes.size(), &keys[i]);
      MakeAclKey(keys[i], port, &acl[i]);
    }
    w.classifier.Classify(port, acl, kBurst, rule);
    benchmark::DoNotOptimize(rule);
    at = (at + kBurst) % w.frames.size();
    packets += kBurst;
  }
  SetPerPacket(state, packets);
}
BENCHMARK(BM_ParseAndClassify)->Apply(RuleArgs);

// The linear scan the classifier replaced (onvm::MatchesHeaders in order).
void BM_LinearScan(benchmark::State& state) {
  const Workload& w = GetWorkload(state);
  size_t at = 0;
  size_t packets = 0;
  for (auto _ : state) {
    for (uint32_t i = 0; i < kBurst; ++i) {
      benchmark::DoNotOptimize(LinearClassify(w.rules, w.keys[at + i], w.frames[at + i].in_port));
    }
    at = (at + kBurst) % w.frames.size();
    packets += kBurst;
  }
  SetPerPacket(state, packets);
}
BENCHMARK(BM_LinearScan)->Apply(RuleArgs);

// Compiling a rule set into the classifier (what SetConfig does when the
// rules change), in milliseconds.
void BM_Compile(benchmark::State& state) {
  TrafficGen gen(static_cast<uint64_t>(state.range(0)) * 7919 + 1);
  const std::vector<GenRule> rules =
      MakeRules(&gen, static_cast<RuleSet>(state.range(1)), static_cast<size_t>(state.range(0)));
  const std::vector<ClassifierRule> input = AsClassifierRules(rules);
  size_t contexts = 0;
  for (auto _ : state) {
    auto c = Classifier::Build(input);
    if (!c.ok()) {
      state.SkipWithError(std::string(c.status().message()).c_str());
      break;
    }
    contexts = c->context_count();
  }
  state.counters["contexts"] = static_cast<double>(contexts);
}
BENCHMARK(BM_Compile)
    ->ArgNames({"rules", "mixed"})
    ->Args({1000, kAcl})
    ->Args({10000, kAcl})
    ->Args({1000, kMixed})
    ->Args({10000, kMixed})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5);

// Replica choice per packet: table[hash % M] and the replica's slot.
void BM_MaglevLookup(benchmark::State& state) {
  std::vector<uint32_t> ids;
  for (uint32_t i = 1; i <= static_cast<uint32_t>(state.range(0)); ++i) ids.push_back(i * 3);
  auto table = MaglevTable::Build(ids);
  std::vector<uint32_t> hashes(kPackets);
  TrafficGen gen(5);
  for (uint32_t& h : hashes) h = static_cast<uint32_t>(gen.rng()());
  size_t at = 0;
  size_t packets = 0;
  for (auto _ : state) {
    for (uint32_t i = 0; i < kBurst; ++i) benchmark::DoNotOptimize(table->Lookup(hashes[at + i]));
    at = (at + kBurst) % hashes.size();
    packets += kBurst;
  }
  SetPerPacket(state, packets);
}
BENCHMARK(BM_MaglevLookup)->ArgName("replicas")->Arg(2)->Arg(16)->Arg(128);

// Building one replica table (control path, on every replica set change).
void BM_MaglevBuild(benchmark::State& state) {
  std::vector<uint32_t> ids;
  for (uint32_t i = 1; i <= static_cast<uint32_t>(state.range(0)); ++i) ids.push_back(i);
  for (auto _ : state) benchmark::DoNotOptimize(MaglevTable::Build(ids));
}
BENCHMARK(BM_MaglevBuild)
    ->ArgName("replicas")
    ->Arg(2)
    ->Arg(16)
    ->Arg(128)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace onvm::engine

int main(int argc, char** argv) {
  // rte_acl needs an EAL: in memory, no hugepages, no PCI, its own prefix.
  const std::string prefix = absl::StrCat("onvm-bench-", getpid());
  std::vector<std::string> args = {argv[0],    "--no-huge",     "-m", "2048", "--no-shconf",
                                   "--no-pci", "--no-telemetry"};
  args.push_back("--file-prefix");
  args.push_back(prefix);
  args.push_back("--log-level");
  args.push_back("*:warning");
  std::vector<char*> eal_argv;
  for (std::string& a : args) eal_argv.push_back(a.data());
  eal_argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(args.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  rte_eal_cleanup();
  onvm::engine::RemoveDpdkFiles(prefix);
  return 0;
}
