#include "fake_agent.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "onvm/v1/apply.grpc.pb.h"
#include "onvm/v1/chain.grpc.pb.h"
#include "onvm/v1/engine.grpc.pb.h"
#include "onvm/v1/instance.grpc.pb.h"
#include "onvm/v1/port.grpc.pb.h"
#include "onvm/v1/rule.grpc.pb.h"
#include "onvm/v1/service.grpc.pb.h"

namespace onvm::cli::testing {
namespace {

template <typename T>
grpc::Status Find(const std::map<std::string, T>& items, absl::string_view kind,
                  const std::string& name, T* out) {
  auto it = items.find(name);
  if (it == items.end()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat(kind, " \"", name, "\" not found"));
  }
  *out = it->second;
  return grpc::Status::OK;
}

template <typename T, typename Response>
void ListInto(const std::map<std::string, T>& items, Response* response) {
  // Reverse order, so that the CLI's own sorting is exercised.
  for (auto it = items.rbegin(); it != items.rend(); ++it) *response->add_items() = it->second;
}

template <typename T>
grpc::Status Erase(std::map<std::string, T>& items, absl::string_view kind, const std::string& name,
                   FakeState& state) {
  if (items.erase(name) == 0) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat(kind, " \"", name, "\" not found"));
  }
  state.deleted.push_back(absl::StrCat(kind, "/", name));
  return grpc::Status::OK;
}

class Services final : public v1::Services::Service {
 public:
  explicit Services(FakeState& state) : state_(state) {}
  grpc::Status GetService(grpc::ServerContext*, const v1::GetServiceRequest* request,
                          v1::Service* response) override {
    std::lock_guard lock(state_.mu);
    return Find(state_.services, "service", request->name(), response);
  }
  grpc::Status ListServices(grpc::ServerContext*, const v1::ListServicesRequest*,
                            v1::ListServicesResponse* response) override {
    std::lock_guard lock(state_.mu);
    ListInto(state_.services, response);
    return grpc::Status::OK;
  }
  grpc::Status UpdateService(grpc::ServerContext*, const v1::UpdateServiceRequest* request,
                             v1::Service* response) override {
    std::lock_guard lock(state_.mu);
    ++state_.update_calls;
    state_.last_update = *request;
    for (const std::string& path : request->update_mask().paths()) {
      if (path != "spec.replicas" && path != "spec.launch") {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            absl::StrCat("update_mask: path \"", path, "\" cannot be updated"));
      }
    }
    const std::string& name = request->service().metadata().name();
    auto it = state_.services.find(name);
    if (it == state_.services.end()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("service \"", name, "\" not found"));
    }
    v1::Service updated = it->second;
    for (const std::string& path : request->update_mask().paths()) {
      if (path == "spec.replicas") {
        updated.mutable_spec()->set_replicas(request->service().spec().replicas());
      } else {
        *updated.mutable_spec()->mutable_launch() = request->service().spec().launch();
      }
    }
    if (updated.spec().replicas() > 64) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("service \"", name, "\": spec.replicas: too many"));
    }
    if (updated.spec().SerializeAsString() != it->second.spec().SerializeAsString()) {
      updated.mutable_metadata()->set_generation(updated.metadata().generation() + 1);
    }
    it->second = updated;
    *response = updated;
    return grpc::Status::OK;
  }
  grpc::Status DeleteService(grpc::ServerContext*, const v1::DeleteServiceRequest* request,
                             v1::DeleteServiceResponse*) override {
    std::lock_guard lock(state_.mu);
    for (const auto& [name, chain] : state_.chains) {
      for (const std::string& service : chain.spec().services()) {
        if (service == request->name()) {
          return grpc::Status(
              grpc::StatusCode::FAILED_PRECONDITION,
              absl::StrCat("service \"", service, "\" is used by chain \"", name, "\""));
        }
      }
    }
    return Erase(state_.services, "service", request->name(), state_);
  }

 private:
  FakeState& state_;
};

class Chains final : public v1::Chains::Service {
 public:
  explicit Chains(FakeState& state) : state_(state) {}
  grpc::Status GetChain(grpc::ServerContext*, const v1::GetChainRequest* request,
                        v1::Chain* response) override {
    std::lock_guard lock(state_.mu);
    return Find(state_.chains, "chain", request->name(), response);
  }
  grpc::Status ListChains(grpc::ServerContext*, const v1::ListChainsRequest*,
                          v1::ListChainsResponse* response) override {
    std::lock_guard lock(state_.mu);
    for (auto& [name, chain] : state_.chains) {
      v1::ChainStatus* s = chain.mutable_status();
      s->set_packets(s->packets() + state_.counter_step);
      s->set_completed_packets(s->completed_packets() + state_.counter_step);
      s->set_bytes(s->bytes() + 100 * state_.counter_step);
      if (s->latency_bucket_counts_size() > 4) {
        s->set_latency_bucket_counts(4, s->latency_bucket_counts(4) + state_.counter_step);
      }
    }
    ListInto(state_.chains, response);
    return grpc::Status::OK;
  }
  grpc::Status DeleteChain(grpc::ServerContext*, const v1::DeleteChainRequest* request,
                           v1::DeleteChainResponse*) override {
    std::lock_guard lock(state_.mu);
    for (const auto& [name, rule] : state_.rules) {
      if (rule.spec().action().chain() == request->name()) {
        return grpc::Status(
            grpc::StatusCode::FAILED_PRECONDITION,
            absl::StrCat("chain \"", request->name(), "\" is used by rule \"", name, "\""));
      }
    }
    return Erase(state_.chains, "chain", request->name(), state_);
  }

 private:
  FakeState& state_;
};

class Rules final : public v1::Rules::Service {
 public:
  explicit Rules(FakeState& state) : state_(state) {}
  grpc::Status GetRule(grpc::ServerContext*, const v1::GetRuleRequest* request,
                       v1::Rule* response) override {
    std::lock_guard lock(state_.mu);
    return Find(state_.rules, "rule", request->name(), response);
  }
  grpc::Status ListRules(grpc::ServerContext*, const v1::ListRulesRequest*,
                         v1::ListRulesResponse* response) override {
    std::lock_guard lock(state_.mu);
    for (auto& [name, rule] : state_.rules) {
      v1::RuleStatus* s = rule.mutable_status();
      s->set_hits(s->hits() + state_.counter_step);
      s->set_bytes(s->bytes() + 100 * state_.counter_step);
    }
    ListInto(state_.rules, response);
    return grpc::Status::OK;
  }
  grpc::Status DeleteRule(grpc::ServerContext*, const v1::DeleteRuleRequest* request,
                          v1::DeleteRuleResponse*) override {
    std::lock_guard lock(state_.mu);
    return Erase(state_.rules, "rule", request->name(), state_);
  }

 private:
  FakeState& state_;
};

class Ports final : public v1::Ports::Service {
 public:
  explicit Ports(FakeState& state) : state_(state) {}
  grpc::Status GetPort(grpc::ServerContext*, const v1::GetPortRequest* request,
                       v1::Port* response) override {
    std::lock_guard lock(state_.mu);
    return Find(state_.ports, "port", request->name(), response);
  }
  grpc::Status ListPorts(grpc::ServerContext*, const v1::ListPortsRequest*,
                         v1::ListPortsResponse* response) override {
    std::lock_guard lock(state_.mu);
    for (auto& [name, port] : state_.ports) {
      v1::PortStatus* s = port.mutable_status();
      s->set_rx_packets(s->rx_packets() + state_.counter_step);
      s->set_rx_bytes(s->rx_bytes() + 100 * state_.counter_step);
      s->set_tx_packets(s->tx_packets() + state_.counter_step);
      s->set_tx_bytes(s->tx_bytes() + 100 * state_.counter_step);
    }
    ListInto(state_.ports, response);
    return grpc::Status::OK;
  }

 private:
  FakeState& state_;
};

class Instances final : public v1::Instances::Service {
 public:
  explicit Instances(FakeState& state) : state_(state) {}
  grpc::Status GetInstance(grpc::ServerContext*, const v1::GetInstanceRequest* request,
                           v1::Instance* response) override {
    std::lock_guard lock(state_.mu);
    return Find(state_.instances, "instance", request->name(), response);
  }
  grpc::Status ListInstances(grpc::ServerContext*, const v1::ListInstancesRequest*,
                             v1::ListInstancesResponse* response) override {
    std::lock_guard lock(state_.mu);
    for (auto& [name, instance] : state_.instances) {
      v1::InstanceStatus* s = instance.mutable_status();
      s->set_rx_packets(s->rx_packets() + state_.counter_step);
      s->set_tx_packets(s->tx_packets() + state_.counter_step);
    }
    ListInto(state_.instances, response);
    return grpc::Status::OK;
  }

 private:
  FakeState& state_;
};

class Engine final : public v1::Engine::Service {
 public:
  explicit Engine(FakeState& state) : state_(state) {}
  grpc::Status GetEngine(grpc::ServerContext*, const v1::GetEngineRequest*,
                         v1::EngineInfo* response) override {
    std::lock_guard lock(state_.mu);
    *response = state_.engine;
    return grpc::Status::OK;
  }

 private:
  FakeState& state_;
};

class Manifests final : public v1::Manifests::Service {
 public:
  explicit Manifests(FakeState& state) : state_(state) {}
  grpc::Status Apply(grpc::ServerContext*, const v1::ApplyRequest* request,
                     v1::ApplyResponse* response) override {
    std::lock_guard lock(state_.mu);
    ++state_.apply_calls;
    state_.last_apply = *request;
    for (const v1::Resource& resource : request->resources()) {
      if (resource.has_chain()) {
        for (const std::string& service : resource.chain().spec().services()) {
          if (!state_.services.count(service) && !InRequest(*request, service)) {
            return grpc::Status(
                grpc::StatusCode::NOT_FOUND,
                absl::StrCat("chain \"", resource.chain().metadata().name(),
                             "\": spec.services: service \"", service, "\" not found"));
          }
        }
      }
    }
    for (const v1::Resource& resource : request->resources()) {
      v1::ApplyResult* result = response->add_results();
      if (resource.has_service()) {
        Store(resource.service(), "Service", state_.services, result);
      } else if (resource.has_chain()) {
        Store(resource.chain(), "Chain", state_.chains, result);
      } else if (resource.has_rule()) {
        Store(resource.rule(), "Rule", state_.rules, result);
      }
    }
    return grpc::Status::OK;
  }

 private:
  static bool InRequest(const v1::ApplyRequest& request, const std::string& service) {
    for (const v1::Resource& resource : request.resources()) {
      if (resource.has_service() && resource.service().metadata().name() == service) return true;
    }
    return false;
  }

  template <typename T>
  void Store(const T& item, absl::string_view kind, std::map<std::string, T>& items,
             v1::ApplyResult* result) {
    result->set_kind(std::string(kind));
    result->set_name(item.metadata().name());
    auto it = items.find(item.metadata().name());
    if (it == items.end()) {
      T stored = item;
      stored.mutable_status()->set_id(state_.next_id++);
      stored.mutable_metadata()->set_generation(1);
      items.emplace(item.metadata().name(), std::move(stored));
      result->set_outcome(v1::ApplyResult::CREATED);
    } else if (it->second.spec().SerializeAsString() == item.spec().SerializeAsString()) {
      result->set_outcome(v1::ApplyResult::UNCHANGED);
    } else {
      *it->second.mutable_spec() = item.spec();
      it->second.mutable_metadata()->set_generation(it->second.metadata().generation() + 1);
      result->set_outcome(v1::ApplyResult::CONFIGURED);
    }
  }

  FakeState& state_;
};

}  // namespace

FakeAgent::FakeAgent() : state_(std::make_unique<FakeState>()) {
  services_.push_back(std::make_unique<Services>(*state_));
  services_.push_back(std::make_unique<Chains>(*state_));
  services_.push_back(std::make_unique<Rules>(*state_));
  services_.push_back(std::make_unique<Ports>(*state_));
  services_.push_back(std::make_unique<Instances>(*state_));
  services_.push_back(std::make_unique<Manifests>(*state_));
  services_.push_back(std::make_unique<Engine>(*state_));
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  for (const auto& service : services_) builder.RegisterService(service.get());
  server_ = builder.BuildAndStart();
  address_ = absl::StrCat("127.0.0.1:", port);
}

FakeAgent::~FakeAgent() { server_->Shutdown(); }

}  // namespace onvm::cli::testing
