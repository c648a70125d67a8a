#include "cli/tables.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "onvm/latency_histogram.h"

namespace onvm::cli {
namespace {

constexpr absl::string_view kNone = "<none>";

std::string OrNone(const std::string& value) { return value.empty() ? std::string(kNone) : value; }

std::string Number(uint64_t value) { return absl::StrCat(value); }

std::string CommandLine(const v1::LaunchSpec& launch) {
  if (launch.command().empty()) return std::string(kNone);
  std::string line = launch.command();
  for (const std::string& arg : launch.args()) absl::StrAppend(&line, " ", arg);
  return line;
}

}  // namespace

std::string InstanceStateName(v1::InstanceStatus::State state) {
  // A state newer than this client has no name here.
  const std::string& name = v1::InstanceStatus::State_Name(state);
  if (state == v1::InstanceStatus::STATE_UNSPECIFIED || name.empty()) return "unknown";
  return absl::AsciiStrToLower(name);
}

std::optional<double> ChainLatency(const v1::ChainStatus& status, std::span<const uint64_t> counts,
                                   double q) {
  return HistogramQuantile(q, AsSpan(status.latency_bucket_bounds_seconds()), counts);
}

std::optional<double> ChainLatency(const v1::ChainStatus& status, double q) {
  return ChainLatency(status, AsSpan(status.latency_bucket_counts()), q);
}

std::string FormatLatency(std::optional<double> seconds) {
  if (!seconds.has_value() || !std::isfinite(*seconds) || *seconds < 0) return "-";
  double value = *seconds;
  const char* unit = "s";
  if (value < 1e-6) return absl::StrCat(std::llround(value * 1e9), "ns");
  if (value < 1e-3) {
    value *= 1e6;
    unit = "us";  // ASCII, not a micro sign: tables align by bytes
  } else if (value < 1) {
    value *= 1e3;
    unit = "ms";
  }
  if (value < 10) return absl::StrFormat("%.2f%s", value, unit);
  if (value < 100) return absl::StrFormat("%.1f%s", value, unit);
  return absl::StrFormat("%.0f%s", value, unit);
}

std::string MatchSummary(const v1::Match& match) {
  std::vector<std::string> terms;
  auto add = [&terms](absl::string_view key, const std::string& value) {
    if (!value.empty()) terms.push_back(absl::StrCat(key, "=", value));
  };
  add("inPort", match.in_port());
  add("ethType", match.eth_type());
  if (match.has_vlan_id()) add("vlanId", absl::StrCat(match.vlan_id()));
  add("srcPrefix", match.src_prefix());
  add("dstPrefix", match.dst_prefix());
  add("ipProto", match.ip_proto());
  add("srcPorts", match.src_ports());
  add("dstPorts", match.dst_ports());
  return terms.empty() ? "*" : absl::StrJoin(terms, ",");
}

std::string ActionSummary(const v1::RuleAction& action) {
  switch (action.target_case()) {
    case v1::RuleAction::kChain:
      return absl::StrCat("chain:", action.chain());
    case v1::RuleAction::kOut:
      return absl::StrCat("out:", action.out());
    case v1::RuleAction::kDrop:
      return action.drop() ? "drop" : std::string(kNone);
    case v1::RuleAction::TARGET_NOT_SET:
      break;
  }
  return std::string(kNone);
}

std::string ChainEndSummary(const v1::ChainEnd& end) {
  switch (end.target_case()) {
    case v1::ChainEnd::kOut:
      return absl::StrCat("out:", end.out());
    case v1::ChainEnd::kDrop:
      return end.drop() ? "drop" : std::string(kNone);
    case v1::ChainEnd::TARGET_NOT_SET:
      break;
  }
  return std::string(kNone);
}

Table MakeTable(const std::vector<v1::Service>& items, bool wide) {
  std::vector<std::string> headers = {"NAME", "ID", "REPLICAS", "READY"};
  if (wide) headers.insert(headers.end(), {"GENERATION", "COMMAND"});
  Table table(std::move(headers));
  for (const v1::Service& s : items) {
    std::vector<std::string> row = {s.metadata().name(), Number(s.status().id()),
                                    Number(s.spec().replicas()),
                                    Number(s.status().ready_replicas())};
    if (wide)
      row.insert(row.end(), {Number(s.metadata().generation()), CommandLine(s.spec().launch())});
    table.AddRow(std::move(row));
  }
  return table;
}

Table MakeTable(const std::vector<v1::Chain>& items, bool wide) {
  std::vector<std::string> headers = {"NAME", "ID", "SERVICES", "THEN"};
  if (wide) headers.insert(headers.end(), {"PACKETS", "COMPLETED", "P50", "P99", "GENERATION"});
  Table table(std::move(headers));
  for (const v1::Chain& c : items) {
    const v1::ChainStatus& st = c.status();
    std::vector<std::string> row = {c.metadata().name(), Number(st.id()),
                                    OrNone(absl::StrJoin(c.spec().services(), ",")),
                                    ChainEndSummary(c.spec().then())};
    if (wide) {
      // Latency since the chain's counters started (see `top` for now).
      row.insert(row.end(),
                 {Number(st.packets()), Number(st.completed_packets()),
                  FormatLatency(ChainLatency(st, 0.5)), FormatLatency(ChainLatency(st, 0.99)),
                  Number(c.metadata().generation())});
    }
    table.AddRow(std::move(row));
  }
  return table;
}

Table MakeTable(const std::vector<v1::Rule>& items, bool wide) {
  std::vector<std::string> headers = {"NAME", "ID", "PRIORITY", "MATCH", "ACTION", "HITS"};
  if (wide) headers.insert(headers.end(), {"BYTES", "GENERATION", "ORIGIN"});
  Table table(std::move(headers));
  for (const v1::Rule& r : items) {
    std::vector<std::string> row = {r.metadata().name(),
                                    Number(r.status().id()),
                                    Number(r.spec().priority()),
                                    MatchSummary(r.spec().match()),
                                    ActionSummary(r.spec().action()),
                                    Number(r.status().hits())};
    if (wide) {
      // grpc or openflow (an agent from before origins existed sends none:
      // its rules all came through the API).
      row.insert(row.end(), {Number(r.status().bytes()), Number(r.metadata().generation()),
                             r.status().origin().empty() ? "grpc" : r.status().origin()});
    }
    table.AddRow(std::move(row));
  }
  return table;
}

Table MakeTable(const std::vector<v1::Port>& items, bool wide) {
  std::vector<std::string> headers = {"NAME", "ID", "LINK", "MAC", "RX-PKTS", "TX-PKTS"};
  if (wide) {
    headers.insert(headers.end(),
                   {"SPEED", "NUMA", "RX-MISSED", "TX-DROPPED", "NO-MATCH", "DEVARGS"});
  }
  Table table(std::move(headers));
  for (const v1::Port& p : items) {
    const v1::PortStatus& st = p.status();
    std::vector<std::string> row = {p.metadata().name(),          Number(st.port_id()),
                                    st.link_up() ? "up" : "down", OrNone(st.mac()),
                                    Number(st.rx_packets()),      Number(st.tx_packets())};
    if (wide) {
      row.insert(row.end(),
                 {st.speed_mbps() == 0 ? std::string(kNone) : absl::StrCat(st.speed_mbps(), "Mbps"),
                  absl::StrCat(st.numa_node()), Number(st.rx_missed()), Number(st.tx_dropped()),
                  Number(st.no_match_dropped()), OrNone(p.spec().devargs())});
    }
    table.AddRow(std::move(row));
  }
  return table;
}

Table MakeTable(const std::vector<v1::Instance>& items, bool wide) {
  std::vector<std::string> headers = {"NAME", "SERVICE", "ID", "PID", "STATE", "RX", "TX", "DROPS"};
  if (wide) headers.insert(headers.end(), {"RING-FULL", "HANDLER-DROPS", "CPU"});
  Table table(std::move(headers));
  for (const v1::Instance& i : items) {
    const v1::InstanceStatus& st = i.status();
    std::vector<std::string> row = {
        i.metadata().name(),           OrNone(i.spec().service()),
        Number(st.instance_id()),      absl::StrCat(st.pid()),
        InstanceStateName(st.state()), Number(st.rx_packets()),
        Number(st.tx_packets()),       Number(st.dropped_ring_full() + st.dropped_by_handler())};
    if (wide) {
      row.insert(row.end(), {Number(st.dropped_ring_full()), Number(st.dropped_by_handler()),
                             st.cpu() >= 0 ? absl::StrCat(st.cpu()) : "<unknown>"});
    }
    table.AddRow(std::move(row));
  }
  return table;
}

}  // namespace onvm::cli
