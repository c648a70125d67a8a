// `onvmctl describe KIND NAME...`: kubectl-describe style text.
#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cli/api.h"
#include "cli/event_table.h"
#include "cli/table.h"
#include "cli/tables.h"
#include "cli/verbs.h"

namespace onvm::cli {
namespace {

constexpr char kNone[] = "<none>";
// How many of an object's most recent events describe shows.
constexpr int kDescribeEvents = 10;

// Indented "Key:  value" lines whose values line up, and raw blocks (tables).
class Description {
 public:
  void Field(int level, absl::string_view key, const std::string& value) {
    lines_.push_back({level, std::string(key), value, false});
  }
  void Field(int level, absl::string_view key, uint64_t value) {
    Field(level, key, absl::StrCat(value));
  }
  void Section(int level, absl::string_view title) {
    lines_.push_back({level, std::string(title), std::nullopt, false});
  }
  // `text` (lines ending in newlines) indented by `level`.
  void Block(int level, const std::string& text) {
    lines_.push_back({level, text, std::nullopt, true});
  }

  std::string Render() const {
    size_t column = 0;
    for (const Line& line : lines_) {
      if (line.value.has_value()) {
        column = std::max(column, Indent(line.level).size() + line.key.size() + 1);
      }
    }
    column += 2;
    std::string out;
    for (const Line& line : lines_) {
      const std::string indent = Indent(line.level);
      if (line.raw) {
        for (absl::string_view row : absl::StrSplit(line.key, '\n', absl::SkipEmpty())) {
          absl::StrAppend(&out, indent, row, "\n");
        }
        continue;
      }
      std::string head = absl::StrCat(indent, line.key, ":");
      if (!line.value.has_value()) {
        absl::StrAppend(&out, head, "\n");
        continue;
      }
      head.resize(std::max(column, head.size() + 1), ' ');
      absl::StrAppend(&out, head, *line.value, "\n");
    }
    return out;
  }

 private:
  struct Line {
    int level;
    std::string key;  // The text itself for raw blocks.
    std::optional<std::string> value;
    bool raw;
  };
  static std::string Indent(int level) { return std::string(2 * level, ' '); }

  std::vector<Line> lines_;
};

template <typename T>
void Header(const T& item, Kind kind, Description& d) {
  d.Field(0, "Name", item.metadata().name());
  d.Field(0, "Kind", std::string(KindTitle(kind)));
  if (KindIsMutable(kind)) d.Field(0, "Generation", item.metadata().generation());
}

// Everything the description of one kind needs besides the item itself,
// fetched through `channel`. Returns the gRPC status of a failed lookup.
grpc::Status Describe(const v1::Service& s, const std::shared_ptr<grpc::Channel>& channel,
                      Description& d) {
  Header(s, Kind::kService, d);
  d.Section(0, "Spec");
  d.Field(1, "Replicas", s.spec().replicas());
  if (!s.spec().has_launch() || s.spec().launch().command().empty()) {
    d.Field(1, "Launch", kNone);
  } else {
    const v1::LaunchSpec& launch = s.spec().launch();
    d.Section(1, "Launch");
    d.Field(2, "Command", launch.command());
    d.Field(2, "Args", launch.args().empty() ? kNone : absl::StrJoin(launch.args(), " "));
    std::vector<std::string> env;
    for (const auto& [key, value] : launch.env()) env.push_back(absl::StrCat(key, "=", value));
    std::sort(env.begin(), env.end());
    d.Field(2, "Env", env.empty() ? kNone : absl::StrJoin(env, ","));
    if (launch.grace_period_seconds() != 0) {
      d.Field(2, "Grace Period", absl::StrCat(launch.grace_period_seconds(), "s"));
    }
  }
  d.Field(1, "Cores",
          s.spec().placement().cores().empty() ? kNone
                                               : absl::StrJoin(s.spec().placement().cores(), ","));
  d.Field(1, "Core Mode", s.spec().core_mode() == v1::SHARED ? "shared" : "dedicated");
  d.Section(0, "Status");
  d.Field(1, "ID", s.status().id());
  d.Field(1, "Ready Replicas", s.status().ready_replicas());
  if (!s.status().replicas().empty()) {
    Table replicas({"REPLICA", "STATE", "PID", "CORE", "INSTANCE", "RESTARTS", "LAST EXIT"});
    for (const v1::ReplicaStatus& r : s.status().replicas()) {
      replicas.AddRow(
          {absl::StrCat(r.index()), v1::ReplicaStatus::State_Name(r.state()),
           r.pid() > 0 ? absl::StrCat(r.pid()) : kNone,
           r.core() >= 0 ? absl::StrCat(r.core()) : kNone,
           r.instance_id() != 0 ? absl::StrCat(s.metadata().name(), "-", r.instance_id()) : kNone,
           absl::StrCat(r.restarts()), r.last_exit().empty() ? kNone : r.last_exit()});
    }
    d.Section(1, "Supervised Replicas");
    d.Block(2, replicas.Render());
  }

  std::vector<v1::Instance> all;
  auto stub = Api<v1::Instance>::NewStub(channel);
  grpc::Status status = Api<v1::Instance>::List(*stub, NewCallContext().get(), &all);
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    d.Field(0, "Instances", "<unknown: engine not connected>");
    return grpc::Status::OK;
  }
  if (!status.ok()) return status;
  Table table({"NAME", "STATE", "PID", "RX PACKETS", "TX PACKETS", "DROPPED"});
  std::sort(all.begin(), all.end(), [](const v1::Instance& a, const v1::Instance& b) {
    return a.metadata().name() < b.metadata().name();
  });
  for (const v1::Instance& i : all) {
    if (i.spec().service() != s.metadata().name()) continue;
    const v1::InstanceStatus& st = i.status();
    table.AddRow({i.metadata().name(), InstanceStateName(st.state()), absl::StrCat(st.pid()),
                  absl::StrCat(st.rx_packets()), absl::StrCat(st.tx_packets()),
                  absl::StrCat(st.dropped_ring_full() + st.dropped_by_handler())});
  }
  if (table.row_count() == 0) {
    d.Field(0, "Instances", kNone);
  } else {
    d.Section(0, "Instances");
    d.Block(1, table.Render());
  }
  return grpc::Status::OK;
}

grpc::Status Describe(const v1::Chain& c, const std::shared_ptr<grpc::Channel>& channel,
                      Description& d) {
  Header(c, Kind::kChain, d);
  d.Section(0, "Spec");
  d.Field(1, "Services",
          c.spec().services().empty() ? kNone : absl::StrJoin(c.spec().services(), " -> "));
  d.Field(1, "Then", ChainEndSummary(c.spec().then()));
  d.Section(0, "Status");
  d.Field(1, "ID", c.status().id());
  // Since the chain's counters started (engine start or chain creation).
  const v1::ChainStatus& st = c.status();
  d.Section(0, "Counters");
  d.Field(1, "Packets", st.packets());
  d.Field(1, "Completed", st.completed_packets());
  d.Field(1, "Bytes", st.bytes());
  d.Field(1, "Latency p50", FormatLatency(ChainLatency(st, 0.5)));
  d.Field(1, "Latency p90", FormatLatency(ChainLatency(st, 0.9)));
  d.Field(1, "Latency p99", FormatLatency(ChainLatency(st, 0.99)));

  auto stub = Api<v1::Service>::NewStub(channel);
  Table table({"#", "SERVICE", "REPLICAS", "READY"});
  int index = 0;
  for (const std::string& name : c.spec().services()) {
    v1::Service s;
    grpc::Status status = Api<v1::Service>::Get(*stub, NewCallContext().get(), name, &s);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      table.AddRow({absl::StrCat(++index), name, "<missing>", "<missing>"});
      continue;
    }
    if (!status.ok()) return status;
    table.AddRow({absl::StrCat(++index), name, absl::StrCat(s.spec().replicas()),
                  absl::StrCat(s.status().ready_replicas())});
  }
  table.AddRow({"", ChainEndSummary(c.spec().then()), "", ""});
  d.Section(0, "Path");
  d.Block(1, table.Render());
  return grpc::Status::OK;
}

grpc::Status Describe(const v1::Rule& r, const std::shared_ptr<grpc::Channel>&, Description& d) {
  Header(r, Kind::kRule, d);
  d.Section(0, "Spec");
  d.Field(1, "Priority", r.spec().priority());
  d.Field(1, "Match", MatchSummary(r.spec().match()));
  d.Field(1, "Action", ActionSummary(r.spec().action()));
  d.Section(0, "Status");
  d.Field(1, "ID", r.status().id());
  d.Section(0, "Counters");
  d.Field(1, "Hits", r.status().hits());
  d.Field(1, "Bytes", r.status().bytes());
  return grpc::Status::OK;
}

grpc::Status Describe(const v1::Port& p, const std::shared_ptr<grpc::Channel>&, Description& d) {
  Header(p, Kind::kPort, d);
  const v1::PortStatus& s = p.status();
  d.Section(0, "Spec");
  d.Field(1, "Devargs", p.spec().devargs().empty() ? kNone : p.spec().devargs());
  d.Section(0, "Status");
  d.Field(1, "Port ID", s.port_id());
  d.Field(1, "Link", s.link_up() ? "up" : "down");
  d.Field(1, "Speed", s.speed_mbps() == 0 ? "unknown" : absl::StrCat(s.speed_mbps(), " Mbps"));
  d.Field(1, "MAC", s.mac().empty() ? kNone : s.mac());
  d.Field(1, "NUMA Node", s.numa_node() < 0 ? "any" : absl::StrCat(s.numa_node()));
  d.Section(0, "Counters");
  d.Field(1, "RX Packets", s.rx_packets());
  d.Field(1, "RX Bytes", s.rx_bytes());
  d.Field(1, "TX Packets", s.tx_packets());
  d.Field(1, "TX Bytes", s.tx_bytes());
  d.Field(1, "RX Missed", s.rx_missed());
  d.Field(1, "TX Dropped", s.tx_dropped());
  d.Field(1, "No-Match Dropped", s.no_match_dropped());
  return grpc::Status::OK;
}

grpc::Status Describe(const v1::Instance& i, const std::shared_ptr<grpc::Channel>&,
                      Description& d) {
  Header(i, Kind::kInstance, d);
  const v1::InstanceStatus& s = i.status();
  d.Section(0, "Spec");
  d.Field(1, "Service", i.spec().service());
  d.Section(0, "Status");
  d.Field(1, "Instance ID", s.instance_id());
  d.Field(1, "PID", absl::StrCat(s.pid()));
  d.Field(1, "State", InstanceStateName(s.state()));
  d.Field(1, "CPU", s.cpu() >= 0 ? absl::StrCat(s.cpu()) : "<unknown>");
  d.Section(0, "Counters");
  d.Field(1, "RX Packets", s.rx_packets());
  d.Field(1, "TX Packets", s.tx_packets());
  d.Field(1, "Dropped (Ring Full)", s.dropped_ring_full());
  d.Field(1, "Dropped (By Handler)", s.dropped_by_handler());
  return grpc::Status::OK;
}

// The object's recent events, newest last. Ports have none of their own.
// Describing must not fail for want of events (an older agent has no
// Events service), so a failed lookup only says so.
void AddEvents(Kind kind, const std::string& name, const std::shared_ptr<grpc::Channel>& channel,
               Description& d) {
  if (kind == Kind::kPort) return;
  std::vector<v1::Event> events;
  if (!ListObjectEvents(channel, KindTitle(kind), name, kDescribeEvents, &events).ok()) {
    d.Field(0, "Events", "<unavailable>");
  } else if (events.empty()) {
    d.Field(0, "Events", kNone);
  } else {
    d.Section(0, "Events");
    d.Block(1, RenderEvents(events, absl::Now(), /*wide=*/false, /*header=*/true,
                            /*with_object=*/false));
  }
}

template <typename T>
int DescribeKind(const std::vector<std::string>& names, Session& session) {
  std::shared_ptr<grpc::Channel> channel = session.Channel();
  if (channel == nullptr) return kExitUnreachable;
  auto stub = Api<T>::NewStub(channel);
  int code = kExitOk;
  bool first = true;
  for (const std::string& name : names) {
    T item;
    grpc::Status status = Api<T>::Get(*stub, NewCallContext().get(), name, &item);
    Description d;
    if (status.ok()) status = Describe(item, channel, d);
    if (status.ok()) AddEvents(Api<T>::kKind, name, channel, d);
    if (!status.ok()) {
      code = session.ServerError(status);
      continue;
    }
    if (!first) session.out() << "\n";
    first = false;
    session.out() << d.Render();
  }
  return code;
}

}  // namespace

int RunDescribe(const Invocation& invocation, Session& session) {
  if (absl::Status status = CheckFlags(invocation, {}); !status.ok()) {
    return session.UsageError(status.message());
  }
  absl::StatusOr<Targets> targets = ParseTargets(invocation.args);
  if (!targets.ok()) return session.UsageError(targets.status().message());
  if (targets->names.empty()) {
    return session.UsageError(
        absl::StrCat("describe needs a name: describe ", KindSingular(targets->kind), " NAME"));
  }
  switch (targets->kind) {
    case Kind::kService:
      return DescribeKind<v1::Service>(targets->names, session);
    case Kind::kChain:
      return DescribeKind<v1::Chain>(targets->names, session);
    case Kind::kRule:
      return DescribeKind<v1::Rule>(targets->names, session);
    case Kind::kPort:
      return DescribeKind<v1::Port>(targets->names, session);
    case Kind::kInstance:
      return DescribeKind<v1::Instance>(targets->names, session);
  }
  return kExitUsage;
}

}  // namespace onvm::cli
