// `onvmctl top [--interval 1s]`: packet rates of ports, NF instances,
// chains (with latency percentiles) and the busiest rules, from two samples
// of their counters.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <utility>

#include "absl/strings/str_format.h"
#include "cli/api.h"
#include "cli/table.h"
#include "cli/tables.h"
#include "cli/top.h"
#include "cli/verbs.h"
#include "onvm/latency_histogram.h"

namespace onvm::cli {
namespace {

constexpr absl::Duration kDefaultInterval = absl::Seconds(1);
// Home the cursor and clear the screen (VT100).
constexpr char kClearScreen[] = "\033[H\033[2J";

template <typename T>
grpc::Status ListInto(const std::shared_ptr<grpc::Channel>& channel, std::vector<T>* items) {
  auto stub = Api<T>::NewStub(channel);
  return Api<T>::List(*stub, NewCallContext().get(), items);
}

grpc::Status TakeSample(const std::shared_ptr<grpc::Channel>& channel, TopSample* sample) {
  if (grpc::Status s = ListInto(channel, &sample->ports); !s.ok()) return s;
  if (grpc::Status s = ListInto(channel, &sample->instances); !s.ok()) return s;
  if (grpc::Status s = ListInto(channel, &sample->chains); !s.ok()) return s;
  grpc::Status status = ListInto(channel, &sample->rules);
  sample->at = absl::Now();
  return status;
}

// Per-second rate of a counter; nullopt without an earlier value or when the
// counter went backwards (the engine restarted).
std::optional<double> Rate(std::optional<uint64_t> before, uint64_t now, double seconds) {
  if (!before.has_value() || now < *before || seconds <= 0) return std::nullopt;
  return static_cast<double>(now - *before) / seconds;
}

std::string Count(std::optional<double> rate) {
  if (!rate.has_value()) return "-";
  return absl::StrCat(std::llround(*rate));
}

// "950", "12.5k", "1.2M", "3.4G".
std::string Si(std::optional<double> rate) {
  if (!rate.has_value()) return "-";
  const double r = *rate;
  if (r < 1e3) return absl::StrCat(std::llround(r));
  if (r < 1e6) return absl::StrFormat("%.1fk", r / 1e3);
  if (r < 1e9) return absl::StrFormat("%.1fM", r / 1e6);
  return absl::StrFormat("%.1fG", r / 1e9);
}

template <typename T>
std::map<std::string, const T*> ByName(const std::vector<T>& items) {
  std::map<std::string, const T*> out;
  for (const T& item : items) out[item.metadata().name()] = &item;
  return out;
}

uint64_t PortDrops(const v1::PortStatus& s) {
  return s.rx_missed() + s.tx_dropped() + s.no_match_dropped();
}

uint64_t InstanceDrops(const v1::InstanceStatus& s) {
  return s.dropped_ring_full() + s.dropped_by_handler();
}

// Bits per second from a byte rate.
std::optional<double> Bits(std::optional<double> bytes) {
  return bytes.has_value() ? std::optional<double>(*bytes * 8) : std::nullopt;
}

// The chain's latency quantile over the interval: from the packets each
// bucket gained between the samples. nullopt when none completed the chain
// then, or the samples cannot be compared (counters reset, other bounds).
std::optional<double> IntervalLatency(const v1::ChainStatus* before, const v1::ChainStatus& now,
                                      double q) {
  if (before == nullptr || !std::equal(before->latency_bucket_bounds_seconds().begin(),
                                       before->latency_bucket_bounds_seconds().end(),
                                       now.latency_bucket_bounds_seconds().begin(),
                                       now.latency_bucket_bounds_seconds().end())) {
    return std::nullopt;
  }
  std::optional<std::vector<uint64_t>> delta =
      BucketDelta(AsSpan(before->latency_bucket_counts()), AsSpan(now.latency_bucket_counts()));
  if (!delta.has_value()) return std::nullopt;
  return ChainLatency(now, *delta, q);
}

std::string ChainsTable(const TopSample& before, const TopSample& now, double seconds) {
  const auto old_chains = ByName(before.chains);
  Table table({"CHAIN", "IN PPS", "COMPLETED PPS", "IN BPS", "P50", "P99"});
  for (const auto& [name, chain] : ByName(now.chains)) {
    const v1::ChainStatus& s = chain->status();
    auto it = old_chains.find(name);
    // A chain deleted and created again keeps its name, not its id.
    const v1::ChainStatus* o = it == old_chains.end() || it->second->status().id() != s.id()
                                   ? nullptr
                                   : &it->second->status();
    auto rate = [&](uint64_t (*get)(const v1::ChainStatus&)) {
      return Rate(o == nullptr ? std::nullopt : std::optional<uint64_t>(get(*o)), get(s), seconds);
    };
    table.AddRow({name, Count(rate([](const v1::ChainStatus& c) { return c.packets(); })),
                  Count(rate([](const v1::ChainStatus& c) { return c.completed_packets(); })),
                  Si(Bits(rate([](const v1::ChainStatus& c) { return c.bytes(); }))),
                  FormatLatency(IntervalLatency(o, s, 0.5)),
                  FormatLatency(IntervalLatency(o, s, 0.99))});
  }
  return table.row_count() == 0 ? "No chains.\n" : table.Render();
}

// The kTopRules rules with the highest hit rate, then by name; rules with
// no rate yet last.
std::string RulesTable(const TopSample& before, const TopSample& now, double seconds) {
  struct Row {
    std::string name;
    const v1::Rule* rule;
    std::optional<double> hits;
    std::optional<double> bytes;
  };
  const auto old_rules = ByName(before.rules);
  std::vector<Row> rows;
  for (const auto& [name, rule] : ByName(now.rules)) {
    const v1::RuleStatus& s = rule->status();
    auto it = old_rules.find(name);
    const v1::RuleStatus* o = it == old_rules.end() || it->second->status().id() != s.id()
                                  ? nullptr
                                  : &it->second->status();
    rows.push_back(
        {name, rule,
         Rate(o == nullptr ? std::nullopt : std::optional<uint64_t>(o->hits()), s.hits(), seconds),
         Rate(o == nullptr ? std::nullopt : std::optional<uint64_t>(o->bytes()), s.bytes(),
              seconds)});
  }
  if (rows.empty()) return "No rules.\n";
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.hits.value_or(-1) > b.hits.value_or(-1);  // ByName gave name order
  });
  Table table({"RULE", "ACTION", "HITS/S", "BPS"});
  for (size_t i = 0; i < rows.size() && i < kTopRules; ++i) {
    const Row& row = rows[i];
    table.AddRow(
        {row.name, ActionSummary(row.rule->spec().action()), Count(row.hits), Si(Bits(row.bytes))});
  }
  std::string out = table.Render();
  if (rows.size() > kTopRules) {
    absl::StrAppend(&out, "(", rows.size() - kTopRules, " more rules)\n");
  }
  return out;
}

}  // namespace

std::string RenderTop(const TopSample& before, const TopSample& now) {
  const double seconds = absl::ToDoubleSeconds(now.at - before.at);
  std::string out;

  const auto old_ports = ByName(before.ports);
  Table ports({"PORT", "LINK", "RX PPS", "RX BPS", "TX PPS", "TX BPS", "DROPS/S"});
  for (const auto& [name, port] : ByName(now.ports)) {
    const v1::PortStatus& s = port->status();
    auto it = old_ports.find(name);
    const v1::PortStatus* o = it == old_ports.end() ? nullptr : &it->second->status();
    auto rate = [&](uint64_t (*get)(const v1::PortStatus&)) {
      return Rate(o == nullptr ? std::nullopt : std::optional<uint64_t>(get(*o)), get(s), seconds);
    };
    auto bits = [&](uint64_t (*get)(const v1::PortStatus&)) { return Bits(rate(get)); };
    ports.AddRow({name, s.link_up() ? "up" : "down",
                  Count(rate([](const v1::PortStatus& p) { return p.rx_packets(); })),
                  Si(bits([](const v1::PortStatus& p) { return p.rx_bytes(); })),
                  Count(rate([](const v1::PortStatus& p) { return p.tx_packets(); })),
                  Si(bits([](const v1::PortStatus& p) { return p.tx_bytes(); })),
                  Count(rate(PortDrops))});
  }
  absl::StrAppend(&out, ports.row_count() == 0 ? "No ports.\n" : ports.Render(), "\n");

  const auto old_instances = ByName(before.instances);
  Table instances({"INSTANCE", "SERVICE", "STATE", "RX PPS", "TX PPS", "DROPS/S"});
  for (const auto& [name, instance] : ByName(now.instances)) {
    const v1::InstanceStatus& s = instance->status();
    auto it = old_instances.find(name);
    // A restarted instance keeps its name but is another process.
    const v1::InstanceStatus* o = it == old_instances.end() || it->second->status().pid() != s.pid()
                                      ? nullptr
                                      : &it->second->status();
    auto rate = [&](uint64_t (*get)(const v1::InstanceStatus&)) {
      return Rate(o == nullptr ? std::nullopt : std::optional<uint64_t>(get(*o)), get(s), seconds);
    };
    instances.AddRow({name, instance->spec().service(), InstanceStateName(s.state()),
                      Count(rate([](const v1::InstanceStatus& i) { return i.rx_packets(); })),
                      Count(rate([](const v1::InstanceStatus& i) { return i.tx_packets(); })),
                      Count(rate(InstanceDrops))});
  }
  absl::StrAppend(&out, instances.row_count() == 0 ? "No NF instances.\n" : instances.Render(),
                  "\n");
  absl::StrAppend(&out, ChainsTable(before, now, seconds), "\n");
  absl::StrAppend(&out, RulesTable(before, now, seconds));
  return out;
}

int RunTop(const Invocation& invocation, Session& session) {
  if (absl::Status status = CheckFlags(invocation, {"interval"}); !status.ok()) {
    return session.UsageError(status.message());
  }
  if (!invocation.args.empty()) return session.UsageError("top takes no arguments");
  absl::StatusOr<absl::Duration> interval =
      DurationFlag("interval", invocation.interval, kDefaultInterval);
  if (!interval.ok()) return session.UsageError(interval.status().message());

  std::shared_ptr<grpc::Channel> channel = session.Channel();
  if (channel == nullptr) return kExitUnreachable;

  TopSample before;
  if (grpc::Status s = TakeSample(channel, &before); !s.ok()) {
    return session.ServerError(s);
  }
  for (int refreshes = 0;; ++refreshes) {
    absl::SleepFor(*interval);
    TopSample now;
    if (grpc::Status s = TakeSample(channel, &now); !s.ok()) {
      return session.ServerError(s);
    }
    const std::string table = RenderTop(before, now);
    if (!session.out_is_tty()) {
      session.out() << table;
      return kExitOk;
    }
    session.out() << kClearScreen << "onvmctl top: " << session.server() << ", every "
                  << absl::FormatDuration(*interval) << " (Ctrl-C to quit)   "
                  << absl::FormatTime("%H:%M:%S", now.at, absl::LocalTimeZone()) << "\n\n"
                  << table << std::flush;
    if (session.max_refreshes() > 0 && refreshes + 1 >= session.max_refreshes()) return kExitOk;
    before = std::move(now);
  }
}

}  // namespace onvm::cli
