// `onvmctl top [--interval 1s]`: packet rates of ports and NF instances,
// from two samples of their counters.
#include <cmath>
#include <cstdint>
#include <map>

#include "absl/strings/str_format.h"
#include "cli/api.h"
#include "cli/table.h"
#include "cli/verbs.h"

namespace onvm::cli {
namespace {

constexpr absl::Duration kDefaultInterval = absl::Seconds(1);
// Home the cursor and clear the screen (VT100).
constexpr char kClearScreen[] = "\033[H\033[2J";

struct Sample {
  absl::Time at;
  std::vector<v1::Port> ports;
  std::vector<v1::Instance> instances;
};

grpc::Status TakeSample(Api<v1::Port>::Stub& ports, Api<v1::Instance>::Stub& instances,
                        Sample* sample) {
  grpc::Status status = Api<v1::Port>::List(ports, NewCallContext().get(), &sample->ports);
  if (!status.ok()) return status;
  status = Api<v1::Instance>::List(instances, NewCallContext().get(), &sample->instances);
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

std::string StateName(v1::InstanceStatus::State state) {
  switch (state) {
    case v1::InstanceStatus::STARTING:
      return "starting";
    case v1::InstanceStatus::RUNNING:
      return "running";
    default:
      return "unknown";
  }
}

std::string Render(const Sample& before, const Sample& now) {
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
    auto bits = [&](uint64_t (*get)(const v1::PortStatus&)) {
      std::optional<double> bytes = rate(get);
      return bytes.has_value() ? std::optional<double>(*bytes * 8) : std::nullopt;
    };
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
    instances.AddRow({name, instance->spec().service(), StateName(s.state()),
                      Count(rate([](const v1::InstanceStatus& i) { return i.rx_packets(); })),
                      Count(rate([](const v1::InstanceStatus& i) { return i.tx_packets(); })),
                      Count(rate(InstanceDrops))});
  }
  absl::StrAppend(&out, instances.row_count() == 0 ? "No NF instances.\n" : instances.Render());
  return out;
}

}  // namespace

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
  auto ports = Api<v1::Port>::NewStub(channel);
  auto instances = Api<v1::Instance>::NewStub(channel);

  Sample before;
  if (grpc::Status s = TakeSample(*ports, *instances, &before); !s.ok()) {
    return session.ServerError(s);
  }
  for (int refreshes = 0;; ++refreshes) {
    absl::SleepFor(*interval);
    Sample now;
    if (grpc::Status s = TakeSample(*ports, *instances, &now); !s.ok()) {
      return session.ServerError(s);
    }
    const std::string table = Render(before, now);
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
