#include "agent/agent_server.h"

#include <chrono>
#include <exception>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/config_api.h"
#include "agent/engine_api.h"
#include "agent/engine_link.h"
#include "agent/event_hub.h"
#include "agent/events_api.h"
#include "agent/health_status.h"
#include "agent/log.h"
#include "agent/metrics_collector.h"
#include "agent/metrics_server.h"
#include "agent/openflow/agent_env.h"
#include "agent/openflow/server.h"
#include "agent/reconciler.h"
#include "agent/request_errors.h"
#include "agent/resource_events.h"
#include "agent/runtime_api.h"
#include "agent/runtime_view.h"
#include "agent/server_credentials.h"
#include "agent/state_file.h"
#include "agent/state_store.h"
#include "agent/stats_source.h"
#include "agent/supervisor.h"
#include "agent/traffic_status.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "onvm/names.h"

namespace onvm::agent {
namespace {

constexpr auto kShutdownGrace = std::chrono::seconds(2);

absl::StatusOr<DesiredState> LoadState(const StateFile& file) {
  absl::StatusOr<std::optional<AgentState>> loaded = file.Load();
  if (!loaded.ok()) return loaded.status();
  if (!loaded->has_value()) {
    LogInfo(absl::StrCat("no saved state at ", file.path(), "; starting empty"));
    return DesiredState{};
  }
  absl::StatusOr<DesiredState> state = FromProto(**loaded);
  if (!state.ok()) {
    return absl::Status(state.status().code(),
                        absl::StrCat("state file ", file.path(), ": ", state.status().message()));
  }
  LogInfo(absl::StrCat("loaded desired state from ", file.path(), ": ", state->services.size(),
                       " services, ", state->chains.size(), " chains, ", state->rules.size(),
                       " rules, generation ", state->generation));
  return state;
}

// A change reaches the engine before the call returns whenever the engine
// is connected; otherwise the reconciler delivers it on reconnect.
absl::Status PushToEngine(EngineLink* link, const AgentState& state) {
  // Checked even while the engine is away: the reconciler could never
  // deliver it later, and List calls could not return it.
  if (absl::Status s = CheckStateSize(state); !s.ok()) return s;
  if (!link->connected()) return absl::OkStatus();
  EngineLink::PushResult result = link->Push(state);
  switch (result.outcome) {
    case EngineLink::PushOutcome::kApplied:
      return absl::OkStatus();
    case EngineLink::PushOutcome::kNotDelivered:
      LogWarning(
          absl::StrCat("generation ", state.generation(),
                       " saved but not yet delivered to the engine: ", result.status.message()));
      return absl::OkStatus();
    case EngineLink::PushOutcome::kRejected:
      break;
  }
  return result.status;
}

}  // namespace

struct AgentServer::Parts {
  Parts(const AgentOptions& options, std::unique_ptr<StateFile> file)
      : listen(options.listen),
        paths(PathsForEngine(options.engine)),
        state_file(std::move(file)),
        link(options.engine, paths.control_socket, &events),
        stats(paths),
        runtime(&link, &stats),
        traffic(&stats) {}

  std::string listen;
  EnginePaths paths;
  std::unique_ptr<StateFile> state_file;
  EventHub events;  // before everything that publishes
  EngineLink link;
  std::unique_ptr<StateStore> store;
  StatsSource stats;
  RuntimeView runtime;
  TrafficStatus traffic;
  HealthStatus health;
  std::unique_ptr<Reconciler> reconciler;
  std::unique_ptr<Supervisor> supervisor;
  std::unique_ptr<ServicesApi> services_api;
  std::unique_ptr<ChainsApi> chains_api;
  std::unique_ptr<RulesApi> rules_api;
  std::unique_ptr<ManifestsApi> manifests_api;
  std::unique_ptr<PortsApi> ports_api;
  std::unique_ptr<InstancesApi> instances_api;
  std::unique_ptr<EngineApi> engine_api;
  std::unique_ptr<ResourceEvents> resource_events;
  std::unique_ptr<EventsApi> events_api;
  std::shared_ptr<MetricsCollector> collector;
  std::unique_ptr<MetricsServer> metrics;
  std::unique_ptr<grpc::Server> server;
  // Last, so that they stop before what they use.
  std::unique_ptr<openflow::OpenFlowSwitch> of_switch;
  std::unique_ptr<openflow::OpenFlowServer> of_server;
  bool shut_down = false;
};

absl::StatusOr<std::unique_ptr<AgentServer>> AgentServer::Start(const AgentOptions& options) {
  if (absl::Status s = ValidateName("--engine", options.engine); !s.ok()) return s;
  // Checked first: a bad certificate or token file must stop the agent
  // before it touches the state or the engine.
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(options.security, options.listen);
  if (!credentials.ok()) return credentials.status();
  absl::StatusOr<std::unique_ptr<StateFile>> file = StateFile::Open(options.state_dir);
  if (!file.ok()) return file.status();
  absl::StatusOr<DesiredState> initial = LoadState(**file);
  if (!initial.ok()) return initial.status();

  auto parts = std::make_unique<Parts>(options, *std::move(file));
  Parts* p = parts.get();
  StateStore::Hooks hooks;
  hooks.port_names = [p] { return p->link.PortNamesSeen(); };
  hooks.push = [p](const AgentState& s) { return PushToEngine(&p->link, s); };
  hooks.persist = [p](const AgentState& s) { return p->state_file->Save(s); };
  p->resource_events = std::make_unique<ResourceEvents>(&p->events, ToProto(*initial));
  hooks.committed = [p](const AgentState& s) {
    p->resource_events->Committed(s);
    if (p->supervisor != nullptr) p->supervisor->SetDesired(s);
  };
  const AgentState initial_proto = ToProto(*initial);
  p->store = std::make_unique<StateStore>(*std::move(initial), std::move(hooks));

  LogInfo(absl::StrCat("engine \"", options.engine, "\": control socket ", p->paths.control_socket,
                       ", stats segment ", p->paths.stats_path));
  p->reconciler = std::make_unique<Reconciler>(
      &p->link, p->store.get(),
      [p](bool connected, bool reconciled) { p->health.Update(connected, reconciled); });
  p->reconciler->Start();
  SupervisorOptions supervisor_options;
  supervisor_options.engine = options.engine;
  p->supervisor = std::make_unique<Supervisor>(supervisor_options, &p->link, &p->events);
  p->supervisor->Start(initial_proto);

  p->collector = std::make_shared<MetricsCollector>(
      &p->stats, MetricsAgentSources{.supervisor = p->supervisor.get(),
                                     .desired_generation = [p] { return p->store->generation(); },
                                     .applied_generation = [p]() -> std::optional<uint64_t> {
                                       std::optional<onvm::engine::v1::EngineState> engine =
                                           p->link.current_state();
                                       if (!engine.has_value()) return std::nullopt;
                                       return engine->applied_generation();
                                     }});
  absl::StatusOr<std::unique_ptr<MetricsServer>> metrics =
      MetricsServer::Start(options.metrics_listen, p->collector);
  if (!metrics.ok()) return metrics.status();
  p->metrics = *std::move(metrics);
  LogInfo(absl::StrCat("serving metrics on http://", options.metrics_listen, "/metrics (port ",
                       p->metrics->port(), ")"));

  p->services_api = std::make_unique<ServicesApi>(p->store.get(), &p->runtime, p->supervisor.get());
  p->chains_api = std::make_unique<ChainsApi>(p->store.get(), &p->traffic);
  p->rules_api = std::make_unique<RulesApi>(p->store.get(), &p->traffic);
  p->manifests_api = std::make_unique<ManifestsApi>(p->store.get());
  p->ports_api = std::make_unique<PortsApi>(&p->runtime);
  p->instances_api =
      std::make_unique<InstancesApi>(&p->runtime, &p->link, &p->store->request_cache());
  p->engine_api = std::make_unique<EngineApi>(&p->link, &p->stats, p->store.get());
  p->events_api = std::make_unique<EventsApi>(&p->events);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, *credentials);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<ParseErrorInterceptorFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.RegisterService(p->services_api.get());
  builder.RegisterService(p->chains_api.get());
  builder.RegisterService(p->rules_api.get());
  builder.RegisterService(p->manifests_api.get());
  builder.RegisterService(p->ports_api.get());
  builder.RegisterService(p->instances_api.get());
  builder.RegisterService(p->engine_api.get());
  builder.RegisterService(p->events_api.get());
  p->server = builder.BuildAndStart();
  if (p->server == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve gRPC on ", options.listen, " (address in use or invalid?)"));
  }
  p->health.Attach(p->server->GetHealthCheckService());
  if (absl::Status s = RestrictUnixSocket(options.listen); !s.ok()) LogWarning(s.message());
  LogInfo(absl::StrCat("serving gRPC on ", options.listen));
  if (!options.openflow.listen.empty() || !options.openflow.controller.empty()) {
    p->of_switch = std::make_unique<openflow::OpenFlowSwitch>(
        openflow::MakeAgentSwitchEnv(p->store.get(), &p->link, &p->stats));
    absl::StatusOr<std::unique_ptr<openflow::OpenFlowServer>> of =
        openflow::OpenFlowServer::Start(options.openflow, p->of_switch.get());
    if (!of.ok()) return of.status();
    p->of_server = *std::move(of);
  }
  return absl::WrapUnique(new AgentServer(std::move(parts)));
}

AgentServer::AgentServer(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

AgentServer::~AgentServer() { Shutdown(); }

void AgentServer::Shutdown() {
  if (parts_->shut_down) return;
  parts_->shut_down = true;
  if (parts_->of_server != nullptr) parts_->of_server->Stop();
  parts_->health.Attach(nullptr);
  if (grpc::HealthCheckServiceInterface* health = parts_->server->GetHealthCheckService();
      health != nullptr) {
    health->Shutdown();  // NOT_SERVING while in-flight calls finish
  }
  parts_->events.Shutdown();  // open WatchEvents streams would hold Shutdown for the grace
  parts_->server->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
  parts_->server->Wait();
  if (absl::StartsWith(parts_->listen, "unix:")) {
    std::error_code ignored;  // gRPC leaves the socket file behind
    std::filesystem::remove(parts_->listen.substr(5), ignored);
  }
  parts_->metrics.reset();
  parts_->supervisor->Stop();  // the replicas keep running
  parts_->reconciler->Stop();
  LogInfo("stopped");
}

}  // namespace onvm::agent
