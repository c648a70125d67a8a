#include "stack.h"

#include <arpa/inet.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

absl::Status ProcessFailed(Process& p, absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, "\n", p.Describe()));
}

bool TcpAccepts(const std::string& host_port) {
  const auto colon = host_port.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(host_port.substr(colon + 1))));
  inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &addr.sin_addr);
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Stack>> Stack::Start(const StackOptions& options) {
  std::unique_ptr<Stack> s(new Stack());
  s->engine_name_ = UniqueName();
  s->api_ = absl::StrCat("127.0.0.1:", FreeTcpPort());
  s->metrics_ = absl::StrCat("127.0.0.1:", FreeTcpPort());

  auto ns = NetNs::Create();
  if (!ns.ok()) return ns.status();
  s->ns_ = *std::move(ns);

  std::vector<std::string> engine_args = {"--name", s->engine_name_, "--idle-sleep-us", "20"};
  for (size_t i = 0; i < options.ports.size(); ++i) {
    const std::string& p = options.ports[i];
    engine_args.push_back("--port");
    if (auto it = options.devargs.find(p); it != options.devargs.end()) {
      engine_args.push_back(absl::StrCat(p, "=", it->second));
      continue;
    }
    if (absl::Status st = s->ns_->AddVethPair(p + "0", p + "1"); !st.ok()) return st;
    engine_args.push_back(absl::StrCat(p, "=net_af_packet", i, ",iface=", p, "0"));
  }
  engine_args.insert(engine_args.end(), options.engine_args.begin(), options.engine_args.end());
  ProcessOptions in_netns;
  in_netns.netns = s->ns_->name();
  auto engine =
      Process::Start(BinPath("onvm-engine"), engine_args, s->tmp_.File("engine.log"), in_netns);
  if (!engine.ok()) return engine.status();
  s->engine_ = *std::move(engine);
  const std::string socket = absl::StrCat("/run/onvm/", s->engine_name_, ".sock");
  if (!WaitFor([&] { return access(socket.c_str(), F_OK) == 0 || !s->engine_->Running(); },
               seconds(30)) ||
      !s->engine_->Running()) {
    return ProcessFailed(*s->engine_, "onvm-engine did not come up");
  }

  auto agent = Process::Start(BinPath("onvm-agent"),
                              {"--engine", s->engine_name_, "--listen", s->api_, "--metrics-listen",
                               s->metrics_, "--state-dir", s->tmp_.File("state")},
                              s->tmp_.File("agent.log"));
  if (!agent.ok()) return agent.status();
  s->agent_ = *std::move(agent);
  // A channel created before the agent listens sits out gRPC's reconnect
  // backoff (seconds); create it once the port accepts connections.
  if (!WaitFor([&] { return !s->agent_->Running() || TcpAccepts(s->api_); }, seconds(30)) ||
      !s->agent_->Running()) {
    return ProcessFailed(*s->agent_, "onvm-agent did not start listening");
  }
  s->channel_ = grpc::CreateChannel(s->api_, grpc::InsecureChannelCredentials());
  auto ports = onvm::v1::Ports::NewStub(s->channel_);
  const bool ready = WaitFor(
      [&] {
        if (!s->agent_->Running()) return true;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + seconds(1));
        onvm::v1::ListPortsResponse resp;
        return ports->ListPorts(&ctx, {}, &resp).ok() &&
               resp.items_size() == static_cast<int>(options.ports.size());
      },
      seconds(30), milliseconds(50));
  if (!ready || !s->agent_->Running()) {
    return ProcessFailed(*s->agent_, "onvm-agent did not reach the engine");
  }
  return s;
}

Stack::~Stack() {
  Stop();
  ns_.reset();
}

void Stack::Stop() {
  // NFs first, then the agent, then the engine: the reverse of start-up.
  for (auto& nf : nfs_) nf->Stop();
  channel_.reset();  // an open client connection would delay the agent's shutdown
  if (agent_ != nullptr) agent_->Stop();
  if (engine_ != nullptr) engine_->Stop();
}

absl::StatusOr<std::unique_ptr<RawSocket>> Stack::OpenPeer(const std::string& port) const {
  return RawSocket::Open(*ns_, port + "1");
}

CommandResult Stack::Onvmctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {BinPath("onvmctl"), "--server", api_};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

absl::Status Stack::Apply(const std::string& yaml) {
  const std::string path = tmp_.File(absl::StrCat("manifest-", manifests_++, ".yaml"));
  WriteFile(path, yaml);
  CommandResult r = Onvmctl({"apply", "-f", path});
  if (!r.ok()) {
    return absl::InternalError(
        absl::StrCat("onvmctl apply failed (", r.status.ToString(), "):\n", r.output));
  }
  return absl::OkStatus();
}

absl::StatusOr<Process*> Stack::StartForwardNf(const std::string& service) {
  return StartNf("onvm-nf-forward", service);
}

absl::StatusOr<Process*> Stack::StartNf(const std::string& binary, const std::string& service,
                                        const std::vector<std::string>& extra_args) {
  std::vector<std::string> args = {"--engine", engine_name_,      "--service",
                                   service,    "--idle-sleep-us", "20"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  auto nf = Process::Start(BinPath(binary), args,
                           tmp_.File(absl::StrCat("nf-", service, "-", nfs_.size(), ".log")));
  if (!nf.ok()) return nf.status();
  Process* p = nf->get();
  nfs_.push_back(*std::move(nf));
  const std::string pid = absl::StrCat(p->pid());
  const bool running = WaitFor(
      [&] {
        if (!p->Running()) return true;
        auto list = ListInstances();
        if (!list.ok()) return false;
        for (const auto& inst : list->items()) {
          if (inst.status().pid() == p->pid() &&
              inst.status().state() == onvm::v1::InstanceStatus::RUNNING) {
            return true;
          }
        }
        return false;
      },
      seconds(30), milliseconds(50));
  if (!running || !p->Running()) return ProcessFailed(*p, "NF did not start");
  return p;
}

absl::StatusOr<onvm::v1::ListInstancesResponse> Stack::ListInstances() const {
  auto stub = onvm::v1::Instances::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + seconds(2));
  onvm::v1::ListInstancesResponse resp;
  grpc::Status st = stub->ListInstances(&ctx, {}, &resp);
  if (!st.ok()) return absl::UnavailableError(st.error_message());
  return resp;
}

std::optional<double> Stack::Metric(const std::string& name, const Labels& labels) const {
  auto body = MetricsScrape(metrics_);
  if (!body.ok()) return std::nullopt;
  return ParseMetric(*body, name, labels);
}

bool Stack::WaitMetric(const std::string& name, const Labels& labels, double want,
                       std::chrono::milliseconds timeout) const {
  return WaitFor([&] { return Metric(name, labels) == want; }, timeout, milliseconds(50));
}

std::string Stack::Logs() {
  std::string out = engine_->Describe();
  if (agent_ != nullptr) out += agent_->Describe();
  for (auto& nf : nfs_) out += nf->Describe();
  return out;
}

}  // namespace onvm::testing
