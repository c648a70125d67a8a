// What one Prometheus scrape of the agent costs when the engine's stats
// segment is as full as an engine can make it (Google Benchmark):
//   - BM_Collect: MetricsCollector::Collect() over the segment;
//   - BM_CollectAndSerialize: the same plus the text exposition format;
//   - BM_HttpScrape: GET /metrics from the agent's MetricsServer over a
//     loopback TCP connection, request to EOF.
// The segment is written by the unit tests' FakeStatsSegment in /dev/shm, so
// no engine, DPDK or root is needed; see bench/README.md.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "agent/metrics_collector.h"
#include "agent/metrics_server.h"
#include "agent/stats_source.h"
#include "onvm/stats_layout.h"
#include "prometheus/metric_family.h"
#include "prometheus/text_serializer.h"
#include "test/agent/fake_stats.h"

namespace onvm::agent {
namespace {

using ::onvm::agent::testing::FakeStatsSegment;

// Chain and rule slots outnumber what a deployment configures (the arrays
// hold twice ONVM_MAX_CHAINS / ONVM_MAX_RULES so that names keep their slot
// across edits). Two configurations: every instance slot with a modest
// routing configuration, and the same with a large but plausible one.
struct Config {
  const char* name;
  uint32_t chains;
  uint32_t rules;
};
constexpr Config kConfigs[] = {{"instances", 16, 64}, {"large", 256, 4096}};
// Replicas per service: every instance slot, as services of 8.
constexpr uint32_t kInstancesPerService = 8;

// Custom counter names: the monitor NF's 15 (sdk/examples/monitor) and one
// more, so that label values are as long as real ones.
constexpr const char* kCustomNames[ONVM_STATS_MAX_CUSTOM] = {
    "packets",          "bytes",        "ipv4_packets", "ipv6_packets",     "arp_packets",
    "other_l3_packets", "vlan_packets", "tcp_packets",  "tcp_bytes",        "udp_packets",
    "udp_bytes",        "icmp_packets", "icmp_bytes",   "other_l4_packets", "malformed_packets",
    "dropped_packets"};

// Counters of an engine that has run for a while: distinct, nonzero and of
// many digits, since the text format writes every one of them out.
uint64_t Value(uint64_t slot, uint64_t field) {
  uint64_t x = (slot + 1) * 0x9e3779b97f4a7c15ULL + (field + 1) * 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 31;
  return 1 + x % (uint64_t{1} << 40);
}

void FillSegment(const Config& config, FakeStatsSegment* fake) {
  onvm_stats_segment* seg = fake->segment();
  seg->header.start_time_ns = FakeStatsSegment::NowNs() - 86'400'000'000'000ULL;
  seg->header.config_generation = 42;
  for (int r = 0; r < ONVM_DROP_REASON_MAX; ++r) seg->header.drops[r] = Value(r, 0);

  for (uint32_t i = 0; i < ONVM_STATS_MAX_PORTS; ++i) {
    onvm_stats_port& p = fake->AddPort(i, absl::StrCat("port-", i).c_str(), i);
    p.rx_packets = Value(i, 1);
    p.rx_bytes = Value(i, 2);
    p.tx_packets = Value(i, 3);
    p.tx_bytes = Value(i, 4);
    p.rx_missed = Value(i, 5);
    p.tx_dropped = Value(i, 6);
    p.no_match_dropped = Value(i, 7);
  }

  for (uint32_t i = 0; i < ONVM_STATS_MAX_INSTANCES; ++i) {
    const uint32_t service = i / kInstancesPerService;
    // The engine's stats slot of instance N is N - 1.
    onvm_stats_instance& in =
        fake->AddInstance(i, absl::StrCat("service-", service).c_str(), i + 1);
    in.service_id = service + 1;
    in.rx_packets = Value(i, 10);
    in.tx_packets = Value(i, 11);
    in.dropped_ring_full = Value(i, 12);
    in.dropped_by_handler = Value(i, 13);
    in.rx_ring_count = Value(i, 14) % 4096;
    in.tx_ring_count = Value(i, 15) % 4096;
    in.reclaimed = Value(i, 16);
    in.custom_count = ONVM_STATS_MAX_CUSTOM;
    for (uint32_t c = 0; c < ONVM_STATS_MAX_CUSTOM; ++c) {
      std::strncpy(in.custom_names[c], kCustomNames[c], ONVM_STATS_CUSTOM_NAME_LEN - 1);
      in.custom[c] = Value(i, 100 + c);
    }
  }

  for (uint32_t i = 0; i < config.chains; ++i) {
    onvm_stats_chain& c = fake->AddChain(i, absl::StrCat("chain-", i).c_str(), i + 1);
    c.packets = Value(i, 20);
    c.bytes = Value(i, 21);
    c.completed = Value(i, 22);
    uint64_t count = 0;
    for (int b = 0; b < ONVM_STATS_LATENCY_BUCKETS; ++b) {
      c.latency_buckets[b] = Value(i, 30 + b);
      count += c.latency_buckets[b];
    }
    c.latency_sum_ns = count * 20'000;  // a 20 us mean, well inside uint64_t
  }

  for (uint32_t i = 0; i < config.rules; ++i) {
    onvm_stats_rule& r = fake->AddRule(i, absl::StrCat("rule-", i).c_str());
    r.packets = Value(i, 50);
    r.bytes = Value(i, 51);
  }

  for (uint32_t i = 0; i < ONVM_STATS_MAX_LCORES; ++i) {
    // One control lcore, the rest split between rx and tx as with --lcores.
    const onvm_stats_lcore_role role =
        i == 0 ? ONVM_LCORE_CONTROL : (i % 2 == 1 ? ONVM_LCORE_RX : ONVM_LCORE_TX);
    onvm_stats_lcore& l = fake->AddLcore(i, i, role, static_cast<int32_t>(i % 2));
    l.total_cycles = Value(i, 60) + (uint64_t{1} << 40);
    l.busy_cycles = Value(i, 61);
  }

  for (uint32_t i = 0; i < ONVM_STATS_MAX_MEMPOOLS; ++i) {
    onvm_stats_mempool& m =
        fake->AddMempool(i, absl::StrCat("mbuf-pool-", i).c_str(), i % 2, 262'143);
    m.mbufs_in_use = Value(i, 70) % 262'143 + 1;
  }
}

// What every benchmark scrapes; owned by main().
struct Scrape {
  FakeStatsSegment* segment;
  std::shared_ptr<MetricsCollector> collector;
};

// A sample is every line of the exposition that is not a comment (# HELP,
// # TYPE), so a histogram counts once per bucket plus _sum and _count.
int64_t CountSamples(std::string_view text) {
  int64_t samples = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    if (end > pos && text[pos] != '#') ++samples;
    pos = end + 1;
  }
  return samples;
}

// Counters of the last scrape, and an error when the reader took the engine
// for dead: then the figures would be of a scrape that exports nothing.
void ReportScrape(benchmark::State& state, std::string_view text) {
  if (text.find("\nonvm_engine_up 1\n") == std::string_view::npos) {
    state.SkipWithError("onvm_engine_up is not 1: the reader saw no live engine");
    return;
  }
  state.counters["samples"] = static_cast<double>(CountSamples(text));
  state.counters["bytes"] = static_cast<double>(text.size());
}

void BM_Collect(benchmark::State& state, const Scrape* scrape) {
  std::vector<prometheus::MetricFamily> families;
  for (auto _ : state) {
    // The engine's control thread beats every few hundred milliseconds; a
    // run outlasts StatsReader::kHeartbeatTimeoutNs, so beat as it would.
    scrape->segment->Beat();
    families = scrape->collector->Collect();
    benchmark::DoNotOptimize(families.data());
  }
  ReportScrape(state, prometheus::TextSerializer().Serialize(families));
}

void BM_CollectAndSerialize(benchmark::State& state, const Scrape* scrape) {
  const prometheus::TextSerializer serializer;
  std::string text;
  for (auto _ : state) {
    scrape->segment->Beat();
    text = serializer.Serialize(scrape->collector->Collect());
    benchmark::DoNotOptimize(text.data());
  }
  ReportScrape(state, text);
}

absl::Status ErrnoError(const char* what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// GET /metrics on a fresh connection, read to EOF into `response`. A new
// connection each time, so that accept and teardown count as they do for a
// scraper that does not keep connections alive.
absl::Status HttpGet(int port, std::string* response) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket");
  const absl::Cleanup closer = [fd] { close(fd); };
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return ErrnoError("connect");
  }
  constexpr std::string_view kRequest =
      "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  for (size_t sent = 0; sent < kRequest.size();) {
    const ssize_t n = send(fd, kRequest.data() + sent, kRequest.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("send");
    }
    sent += static_cast<size_t>(n);
  }
  response->clear();
  char buf[65536];
  while (true) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("recv");
    }
    response->append(buf, static_cast<size_t>(n));
  }
  if (!response->starts_with("HTTP/1.1 200 ")) {
    return absl::InternalError(
        absl::StrCat("not a 200 response: ", response->substr(0, response->find('\r'))));
  }
  return absl::OkStatus();
}

void BM_HttpScrape(benchmark::State& state, const Scrape* scrape) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start("127.0.0.1:0", scrape->collector);
  if (!server.ok()) {
    state.SkipWithError(server.status().ToString().c_str());
    return;
  }
  std::string response;
  for (auto _ : state) {
    scrape->segment->Beat();
    if (const absl::Status status = HttpGet((*server)->port(), &response); !status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      return;
    }
  }
  const size_t body = response.find("\r\n\r\n");
  ReportScrape(state, body == std::string::npos ? std::string_view()
                                                : std::string_view(response).substr(body + 4));
}

}  // namespace
}  // namespace onvm::agent

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  // One segment per configuration; the pid keeps concurrent runs apart, and
  // each segment's destructor removes it. Benchmarks stay registered until
  // exit, after these locals are gone, so they hold a pointer only.
  struct Setup {
    std::unique_ptr<onvm::agent::testing::FakeStatsSegment> segment;
    std::unique_ptr<onvm::agent::StatsSource> source;
    std::unique_ptr<onvm::agent::Scrape> scrape;
  };
  std::vector<Setup> setups;
  for (const onvm::agent::Config& config : onvm::agent::kConfigs) {
    Setup& s = setups.emplace_back();
    s.segment = std::make_unique<onvm::agent::testing::FakeStatsSegment>(
        absl::StrCat("scrapebench-", getpid(), "-", config.name));
    onvm::agent::FillSegment(config, s.segment.get());
    s.source = std::make_unique<onvm::agent::StatsSource>(s.segment->paths());
    s.scrape = std::make_unique<onvm::agent::Scrape>(onvm::agent::Scrape{
        s.segment.get(), std::make_shared<onvm::agent::MetricsCollector>(s.source.get())});
    const onvm::agent::Scrape* scrape = s.scrape.get();
    benchmark::RegisterBenchmark(absl::StrCat("BM_Collect/", config.name).c_str(),
                                 onvm::agent::BM_Collect, scrape)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(absl::StrCat("BM_CollectAndSerialize/", config.name).c_str(),
                                 onvm::agent::BM_CollectAndSerialize, scrape)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(absl::StrCat("BM_HttpScrape/", config.name).c_str(),
                                 onvm::agent::BM_HttpScrape, scrape)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
