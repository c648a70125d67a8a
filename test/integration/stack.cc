#include "stack.h"

#include <arpa/inet.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

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

bool UnixAccepts(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
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

  s->engine_args_ = {"--name", s->engine_name_, "--idle-sleep-us", "20"};
  for (size_t i = 0; i < options.ports.size(); ++i) {
    const std::string& p = options.ports[i];
    s->engine_args_.push_back("--port");
    if (auto it = options.devargs.find(p); it != options.devargs.end()) {
      s->engine_args_.push_back(absl::StrCat(p, "=", it->second));
      continue;
    }
    if (absl::Status st = s->ns_->AddVethPair(p + "0", p + "1"); !st.ok()) return st;
    s->engine_args_.push_back(absl::StrCat(p, "=net_af_packet", i, ",iface=", p, "0"));
  }
  s->engine_args_.insert(s->engine_args_.end(), options.engine_args.begin(),
                         options.engine_args.end());
  s->port_count_ = options.ports.size();
  s->agent_args_ = options.agent_args;
  if (absl::Status st = s->StartEngine(); !st.ok()) return st;
  if (absl::Status st = s->StartAgent(options.ports.size()); !st.ok()) return st;
  return s;
}

absl::Status Stack::StartEngine() {
  ProcessOptions in_netns;
  in_netns.netns = ns_->name();
  const std::string log = replaced_.empty() && engine_ == nullptr
                              ? tmp_.File("engine.log")
                              : tmp_.File(absl::StrCat("engine-", replaced_.size() + 1, ".log"));
  auto engine = Process::Start(BinPath("onvm-engine"), engine_args_, log, in_netns);
  if (!engine.ok()) return engine.status();
  engine_ = *std::move(engine);
  // Connect rather than look for the file: a killed engine leaves its
  // socket file behind.
  const std::string socket = absl::StrCat("/run/onvm/", engine_name_, ".sock");
  if (!WaitFor([&] { return UnixAccepts(socket) || !engine_->Running(); }, seconds(30)) ||
      !engine_->Running()) {
    return ProcessFailed(*engine_, "onvm-engine did not come up");
  }
  return absl::OkStatus();
}

absl::Status Stack::StartAgent(size_t ports) {
  const std::string log = replaced_.empty() && agent_ == nullptr
                              ? tmp_.File("agent.log")
                              : tmp_.File(absl::StrCat("agent-", replaced_.size() + 1, ".log"));
  std::vector<std::string> args = {"--engine",    engine_name_,       "--listen",
                                   api_,          "--metrics-listen", metrics_,
                                   "--state-dir", tmp_.File("state")};
  args.insert(args.end(), agent_args_.begin(), agent_args_.end());
  auto agent = Process::Start(BinPath("onvm-agent"), args, log);
  if (!agent.ok()) return agent.status();
  agent_ = *std::move(agent);
  // A channel created before the agent listens sits out gRPC's reconnect
  // backoff (seconds); create it once the port accepts connections.
  if (!WaitFor([&] { return !agent_->Running() || TcpAccepts(api_); }, seconds(30)) ||
      !agent_->Running()) {
    return ProcessFailed(*agent_, "onvm-agent did not start listening");
  }
  channel_ = grpc::CreateChannel(api_, grpc::InsecureChannelCredentials());
  auto stub = onvm::v1::Ports::NewStub(channel_);
  const bool ready = WaitFor(
      [&] {
        if (!agent_->Running()) return true;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + seconds(1));
        onvm::v1::ListPortsResponse resp;
        return stub->ListPorts(&ctx, {}, &resp).ok() &&
               resp.items_size() == static_cast<int>(ports);
      },
      seconds(30), milliseconds(50));
  if (!ready || !agent_->Running()) {
    return ProcessFailed(*agent_, "onvm-agent did not reach the engine");
  }
  return absl::OkStatus();
}

absl::Status Stack::RestartAgent() {
  if (agent_ != nullptr && agent_->Running()) {
    return absl::FailedPreconditionError("RestartAgent: the previous agent is still running");
  }
  channel_.reset();
  if (agent_ != nullptr) replaced_.push_back(std::move(agent_));
  return StartAgent(port_count_);
}

absl::Status Stack::RestartEngine() {
  if (engine_ != nullptr && engine_->Running()) {
    return absl::FailedPreconditionError("RestartEngine: the previous engine is still running");
  }
  if (engine_ != nullptr) replaced_.push_back(std::move(engine_));
  return StartEngine();
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
  onvm::v1::ListInstancesResponse all;
  onvm::v1::ListInstancesRequest req;
  do {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + seconds(2));
    onvm::v1::ListInstancesResponse page;
    grpc::Status st = stub->ListInstances(&ctx, req, &page);
    if (!st.ok()) return absl::UnavailableError(st.error_message());
    all.mutable_items()->MergeFrom(page.items());
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty());
  return all;
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
  std::string out;
  for (auto& p : replaced_) out += p->Describe();
  if (engine_ != nullptr) out += engine_->Describe();
  if (agent_ != nullptr) out += agent_->Describe();
  for (auto& nf : nfs_) out += nf->Describe();
  return out;
}

}  // namespace onvm::testing
