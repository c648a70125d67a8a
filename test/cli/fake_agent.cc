#include "fake_agent.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "onvm/v1/apply.grpc.pb.h"
#include "onvm/v1/chain.grpc.pb.h"
#include "onvm/v1/engine.grpc.pb.h"
#include "onvm/v1/event.grpc.pb.h"
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

// One page (see FakeState::max_page_size). The token is the last name of
// the page, plain: the CLI must only hand it back.
template <typename T, typename Request, typename Response>
void ListInto(const std::map<std::string, T>& items, const Request& request, FakeState& state,
              Response* response) {
  ++state.list_calls;
  size_t size = items.size();
  if (state.max_page_size > 0) size = static_cast<size_t>(state.max_page_size);
  if (request.page_size() > 0) size = std::min(size, static_cast<size_t>(request.page_size()));
  auto it = request.page_token().empty() ? items.begin() : items.upper_bound(request.page_token());
  std::vector<const T*> page;
  for (; it != items.end() && page.size() < size; ++it) page.push_back(&it->second);
  if (it != items.end()) response->set_next_page_token(page.back()->metadata().name());
  // Reverse order within the page, so that the CLI's own sorting is
  // exercised.
  for (auto p = page.rbegin(); p != page.rend(); ++p) *response->add_items() = **p;
}

template <typename T, typename Request>
grpc::Status Erase(std::map<std::string, T>& items, absl::string_view kind, const Request& request,
                   FakeState& state) {
  const std::string& name = request.name();
  state.request_ids.push_back(request.request_id());
  if (!items.contains(name)) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat(kind, " \"", name, "\" not found"));
  }
  if (request.validate_only()) {
    state.dry_deleted.push_back(absl::StrCat(kind, "/", name));
    return grpc::Status::OK;
  }
  items.erase(name);
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
  grpc::Status ListServices(grpc::ServerContext*, const v1::ListServicesRequest* request,
                            v1::ListServicesResponse* response) override {
    std::lock_guard lock(state_.mu);
    ListInto(state_.services, *request, state_, response);
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
    return Erase(state_.services, "service", *request, state_);
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
  grpc::Status ListChains(grpc::ServerContext*, const v1::ListChainsRequest* request,
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
    ListInto(state_.chains, *request, state_, response);
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
    return Erase(state_.chains, "chain", *request, state_);
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
  grpc::Status ListRules(grpc::ServerContext*, const v1::ListRulesRequest* request,
                         v1::ListRulesResponse* response) override {
    std::lock_guard lock(state_.mu);
    for (auto& [name, rule] : state_.rules) {
      v1::RuleStatus* s = rule.mutable_status();
      s->set_hits(s->hits() + state_.counter_step);
      s->set_bytes(s->bytes() + 100 * state_.counter_step);
    }
    ListInto(state_.rules, *request, state_, response);
    return grpc::Status::OK;
  }
  grpc::Status DeleteRule(grpc::ServerContext*, const v1::DeleteRuleRequest* request,
                          v1::DeleteRuleResponse*) override {
    std::lock_guard lock(state_.mu);
    return Erase(state_.rules, "rule", *request, state_);
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
  grpc::Status ListPorts(grpc::ServerContext*, const v1::ListPortsRequest* request,
                         v1::ListPortsResponse* response) override {
    std::lock_guard lock(state_.mu);
    for (auto& [name, port] : state_.ports) {
      v1::PortStatus* s = port.mutable_status();
      s->set_rx_packets(s->rx_packets() + state_.counter_step);
      s->set_rx_bytes(s->rx_bytes() + 100 * state_.counter_step);
      s->set_tx_packets(s->tx_packets() + state_.counter_step);
      s->set_tx_bytes(s->tx_bytes() + 100 * state_.counter_step);
    }
    ListInto(state_.ports, *request, state_, response);
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
  grpc::Status ListInstances(grpc::ServerContext*, const v1::ListInstancesRequest* request,
                             v1::ListInstancesResponse* response) override {
    std::lock_guard lock(state_.mu);
    for (auto& [name, instance] : state_.instances) {
      v1::InstanceStatus* s = instance.mutable_status();
      s->set_rx_packets(s->rx_packets() + state_.counter_step);
      s->set_tx_packets(s->tx_packets() + state_.counter_step);
    }
    ListInto(state_.instances, *request, state_, response);
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
    state_.request_ids.push_back(request->request_id());
    if (auto it = answered_.find(request->request_id());
        !request->request_id().empty() && it != answered_.end()) {
      *response = it->second;
      return grpc::Status::OK;
    }
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
    // Changes go to copies, kept only when this is not a dry run.
    auto services = state_.services;
    auto chains = state_.chains;
    auto rules = state_.rules;
    const uint32_t next_id = state_.next_id;
    for (const v1::Resource& resource : request->resources()) {
      v1::ApplyResult* result = response->add_results();
      if (resource.has_service()) {
        Store(resource.service(), "Service", services, result);
      } else if (resource.has_chain()) {
        Store(resource.chain(), "Chain", chains, result);
      } else if (resource.has_rule()) {
        Store(resource.rule(), "Rule", rules, result);
      }
    }
    if (request->prune()) {
      Prune("Service", services, response);
      Prune("Chain", chains, response);
      Prune("Rule", rules, response);
    }
    if (request->validate_only()) {
      state_.next_id = next_id;
    } else {
      state_.services = std::move(services);
      state_.chains = std::move(chains);
      state_.rules = std::move(rules);
    }
    if (!request->request_id().empty()) answered_[request->request_id()] = *response;
    if (state_.apply_answers_lost > 0) {
      --state_.apply_answers_lost;
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection reset (the answer was lost)");
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

  // ApplyRequest.prune for one kind: only if the request holds that kind.
  template <typename T>
  static void Prune(absl::string_view kind, std::map<std::string, T>& items,
                    v1::ApplyResponse* response) {
    std::set<std::string> named;
    for (const v1::ApplyResult& result : response->results()) {
      if (result.kind() == kind) named.insert(result.name());
    }
    if (named.empty()) return;
    for (auto it = items.begin(); it != items.end();) {
      if (named.contains(it->first)) {
        ++it;
        continue;
      }
      v1::ApplyResult* result = response->add_results();
      result->set_kind(std::string(kind));
      result->set_name(it->first);
      result->set_outcome(v1::ApplyResult::PRUNED);
      it = items.erase(it);
    }
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
  // Responses by request_id.
  std::map<std::string, v1::ApplyResponse> answered_;
};

bool Matches(const v1::EventFilter& filter, const v1::Event& e) {
  bool kind_ok = filter.kinds().empty();
  for (const std::string& k : filter.kinds()) {
    kind_ok = kind_ok || absl::AsciiStrToLower(k) == absl::AsciiStrToLower(e.object().kind());
  }
  bool name_ok = filter.names().empty();
  for (const std::string& n : filter.names()) name_ok = name_ok || n == e.object().name();
  return kind_ok && name_ok;
}

class Events final : public v1::Events::Service {
 public:
  explicit Events(FakeState& state) : state_(state) {}
  grpc::Status ListEvents(grpc::ServerContext*, const v1::ListEventsRequest* request,
                          v1::ListEventsResponse* response) override {
    std::lock_guard lock(state_.mu);
    state_.list_events_requests.push_back(*request);
    uint64_t last = 0;
    for (const v1::Event& e : state_.events) last = std::max(last, e.sequence());
    for (const v1::Event& e : state_.watch_events) last = std::max(last, e.sequence());
    response->set_last_sequence(last);
    std::vector<v1::Event> matching;
    for (const v1::Event& e : state_.events) {
      if (Matches(request->filter(), e)) matching.push_back(e);
    }
    const size_t skip = request->limit() == 0 || request->limit() >= matching.size()
                            ? 0
                            : matching.size() - request->limit();
    for (size_t i = skip; i < matching.size(); ++i) *response->add_events() = matching[i];
    return grpc::Status::OK;
  }
  grpc::Status WatchEvents(grpc::ServerContext*, const v1::WatchEventsRequest* request,
                           grpc::ServerWriter<v1::Event>* writer) override {
    std::vector<v1::Event> to_send;
    grpc::Status end;
    {
      std::lock_guard lock(state_.mu);
      state_.watch_requests.push_back(*request);
      for (const v1::Event& e : state_.events) {
        if (request->has_since_sequence() && e.sequence() > request->since_sequence() &&
            Matches(request->filter(), e)) {
          to_send.push_back(e);
        }
      }
      for (const v1::Event& e : state_.watch_events) {
        if (Matches(request->filter(), e)) to_send.push_back(e);
      }
      state_.watch_events.clear();
      if (!state_.watch_ends.empty()) {
        end = state_.watch_ends.front();
        state_.watch_ends.erase(state_.watch_ends.begin());
      }
    }
    for (const v1::Event& e : to_send) {
      {
        std::lock_guard lock(state_.mu);
        if (e.object().kind() == "Service" && e.type() == v1::Event::RESOURCE_CREATED) {
          auto node = state_.services_created_by_watch.extract(e.object().name());
          if (!node.empty()) state_.services.insert(std::move(node));
        }
      }
      if (!writer->Write(e)) return grpc::Status::CANCELLED;
    }
    return end;
  }

 private:
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
  services_.push_back(std::make_unique<Events>(*state_));
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  for (const auto& service : services_) builder.RegisterService(service.get());
  server_ = builder.BuildAndStart();
  address_ = absl::StrCat("127.0.0.1:", port);
}

FakeAgent::~FakeAgent() { server_->Shutdown(); }

}  // namespace onvm::cli::testing
