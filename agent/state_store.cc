#include "agent/state_store.h"

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/log.h"
#include "onvm/names.h"

namespace onvm::agent {
namespace {

using onvm::v1::ApplyRequest;
using onvm::v1::ApplyResponse;
using onvm::v1::ApplyResult;
using onvm::v1::Chain;
using onvm::v1::Resource;
using onvm::v1::Rule;
using onvm::v1::Service;

absl::Status NotFound(absl::string_view kind_lower, absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(Describe(kind_lower, name), " not found"));
}

// Ids already taken per kind, kept up to date while one apply creates
// several resources.
struct UsedIdSets {
  explicit UsedIdSets(const DesiredState& s)
      : services(UsedIds<Service>(s)), chains(UsedIds<Chain>(s)), rules(UsedIds<Rule>(s)) {}
  absl::flat_hash_set<uint32_t>* For(const Service*) { return &services; }
  absl::flat_hash_set<uint32_t>* For(const Chain*) { return &chains; }
  absl::flat_hash_set<uint32_t>* For(const Rule*) { return &rules; }
  absl::flat_hash_set<uint32_t> services, chains, rules;
};

// Inserts `in` into `next` as a new resource with a fresh id.
template <typename T>
absl::StatusOr<T> Insert(const T& in, DesiredState* next, UsedIdSets* ids) {
  absl::StatusOr<uint32_t> id =
      AllocateId(Kind<T>::kLower, ids->For(static_cast<const T*>(nullptr)), &Kind<T>::NextId(*next),
                 Kind<T>::kMaxIds);
  if (!id.ok()) return Annotate(id.status(), absl::StrCat("cannot create ", Describe(in)));
  T stored = Normalized(in);
  stored.mutable_metadata()->set_generation(1);
  stored.mutable_status()->set_id(*id);
  Kind<T>::Map(*next)[in.metadata().name()] = stored;
  return stored;
}

// Creates or replaces `in` within `next`; CONFIGURED keeps the id.
template <typename T>
absl::StatusOr<ApplyResult::Outcome> Upsert(const T& in, DesiredState* next, UsedIdSets* ids) {
  auto& map = Kind<T>::Map(*next);
  if (auto it = map.find(in.metadata().name()); it != map.end()) {
    if (SameSpec(it->second, in)) return ApplyResult::UNCHANGED;
    *it->second.mutable_spec() = in.spec();
    it->second.mutable_metadata()->set_generation(it->second.metadata().generation() + 1);
    return ApplyResult::CONFIGURED;
  }
  absl::StatusOr<T> created = Insert(in, next, ids);
  if (!created.ok()) return created.status();
  return ApplyResult::CREATED;
}

template <typename T>
absl::Status ValidateAlone(const T& r, int index,
                           absl::flat_hash_map<std::string, int>* first_index) {
  if (absl::Status s = ValidateResource(r); !s.ok()) {
    // Without a name only the position identifies the resource.
    const std::string where = r.metadata().name().empty()
                                  ? absl::StrCat("resources[", index, "]: ", Describe(r))
                                  : Describe(r);
    return Annotate(s, where);
  }
  const std::string key = absl::StrCat(Kind<T>::kName, "/", r.metadata().name());
  if (auto [it, inserted] = first_index->emplace(key, index); !inserted) {
    return absl::InvalidArgumentError(absl::StrCat(
        "resources[", index, "]: ", Describe(r), " is also given at resources[", it->second, "]"));
  }
  return absl::OkStatus();
}

absl::string_view OutcomeVerb(ApplyResult::Outcome outcome) {
  switch (outcome) {
    case ApplyResult::CREATED:
      return "created";
    case ApplyResult::CONFIGURED:
      return "configured";
    default:
      return "unchanged";
  }
}

}  // namespace

StateStore::StateStore(DesiredState initial, Hooks hooks)
    : hooks_(std::move(hooks)), state_(std::move(initial)) {}

DesiredState StateStore::Copy() const {
  absl::ReaderMutexLock lock(&mu_);
  return state_;
}

AgentState StateStore::Snapshot() const {
  absl::ReaderMutexLock lock(&mu_);
  return ToProto(state_);
}

uint64_t StateStore::generation() const {
  absl::ReaderMutexLock lock(&mu_);
  return state_.generation;
}

void StateStore::WithCommitLock(absl::FunctionRef<void(const AgentState&)> fn) {
  absl::MutexLock lock(&commit_mu_);
  fn(Snapshot());
}

absl::Status StateStore::Commit(DesiredState next) {
  const AgentState proposed = ToProto(next);
  if (hooks_.push) {
    if (absl::Status s = hooks_.push(proposed); !s.ok()) return s;
  }
  if (hooks_.persist) {
    if (absl::Status s = hooks_.persist(proposed); !s.ok()) {
      if (hooks_.push) {
        // The engine already runs `next`: give it back the committed state,
        // under a generation it has not seen so it cannot mistake it.
        AgentState restore;
        {
          absl::MutexLock lock(&mu_);
          state_.generation = next.generation + 1;
          restore = ToProto(state_);
        }
        if (absl::Status undo = hooks_.push(restore); !undo.ok()) {
          LogError(absl::StrCat("cannot restore the engine's configuration: ", undo.message()));
        }
      }
      return absl::InternalError(absl::StrCat("the change was not saved: ", s.message()));
    }
  }
  absl::MutexLock lock(&mu_);
  state_ = std::move(next);
  return absl::OkStatus();
}

template <typename T>
absl::StatusOr<T> StateStore::Create(const T& in) {
  if (absl::Status s = ValidateResource(in); !s.ok()) return Annotate(s, Describe(in));
  absl::MutexLock lock(&commit_mu_);
  DesiredState next = Copy();
  const auto& map = Kind<T>::Map(next);
  if (auto it = map.find(in.metadata().name()); it != map.end()) {
    if (SameSpec(it->second, in)) return it->second;
    return absl::AlreadyExistsError(absl::StrCat(
        Describe(in), " already exists with a different spec (delete it first, or use apply)"));
  }
  PortLookup ports(hooks_.port_names);
  if (absl::Status s = CheckReferences(in, next, &ports); !s.ok()) return Annotate(s, Describe(in));
  UsedIdSets ids(next);
  absl::StatusOr<T> created = Insert(in, &next, &ids);
  if (!created.ok()) return created.status();
  ++next.generation;
  const uint64_t generation = next.generation;
  if (absl::Status s = Commit(std::move(next)); !s.ok()) return Annotate(s, Describe(in));
  LogInfo(absl::StrCat("created ", Describe(in), " (id ", created->status().id(), "); generation ",
                       generation));
  return created;
}

template <typename T>
absl::StatusOr<T> StateStore::Get(absl::string_view name) const {
  if (absl::Status s = ValidateName("name", name); !s.ok()) return s;
  absl::ReaderMutexLock lock(&mu_);
  const auto& map = Kind<T>::Map(state_);
  auto it = map.find(std::string(name));
  if (it == map.end()) return NotFound(Kind<T>::kLower, name);
  return it->second;
}

template <typename T>
std::vector<T> StateStore::List() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<T> out;
  out.reserve(Kind<T>::Map(state_).size());
  for (const auto& [name, r] : Kind<T>::Map(state_)) out.push_back(r);
  return out;
}

template <typename T>
absl::Status StateStore::Delete(absl::string_view name) {
  if (absl::Status s = ValidateName("name", name); !s.ok()) return s;
  absl::MutexLock lock(&commit_mu_);
  DesiredState next = Copy();
  auto& map = Kind<T>::Map(next);
  auto it = map.find(std::string(name));
  if (it == map.end()) return NotFound(Kind<T>::kLower, name);
  if (std::optional<std::string> user = FindUser(it->second, next); user.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat(Describe(it->second), " is in use by ", *user));
  }
  const std::string what = Describe(it->second);
  map.erase(it);
  ++next.generation;
  const uint64_t generation = next.generation;
  if (absl::Status s = Commit(std::move(next)); !s.ok()) return Annotate(s, what);
  LogInfo(absl::StrCat("deleted ", what, "; generation ", generation));
  return absl::OkStatus();
}

absl::StatusOr<ApplyResponse> StateStore::Apply(const ApplyRequest& request) {
  // Each resource on its own first: a malformed one needs no lock.
  absl::flat_hash_map<std::string, int> first_index;
  for (int i = 0; i < request.resources_size(); ++i) {
    const Resource& r = request.resources(i);
    absl::Status s;
    switch (r.kind_case()) {
      case Resource::kService:
        s = ValidateAlone(r.service(), i, &first_index);
        break;
      case Resource::kChain:
        s = ValidateAlone(r.chain(), i, &first_index);
        break;
      case Resource::kRule:
        s = ValidateAlone(r.rule(), i, &first_index);
        break;
      case Resource::KIND_NOT_SET:
        s = absl::InvalidArgumentError(
            absl::StrCat("resources[", i, "]: must hold a service, a chain or a rule"));
        break;
    }
    if (!s.ok()) return s;
  }

  absl::MutexLock lock(&commit_mu_);
  DesiredState next = Copy();
  UsedIdSets ids(next);
  ApplyResponse response;
  std::vector<ApplyResult::Outcome> outcomes;
  int changed = 0;
  for (const Resource& r : request.resources()) {
    absl::StatusOr<ApplyResult::Outcome> outcome;
    ApplyResult* result = response.add_results();
    switch (r.kind_case()) {
      case Resource::kService:
        outcome = Upsert(r.service(), &next, &ids);
        result->set_kind("Service");
        result->set_name(r.service().metadata().name());
        break;
      case Resource::kChain:
        outcome = Upsert(r.chain(), &next, &ids);
        result->set_kind("Chain");
        result->set_name(r.chain().metadata().name());
        break;
      default:
        outcome = Upsert(r.rule(), &next, &ids);
        result->set_kind("Rule");
        result->set_name(r.rule().metadata().name());
        break;
    }
    if (!outcome.ok()) return outcome.status();
    result->set_outcome(*outcome);
    outcomes.push_back(*outcome);
    if (*outcome != ApplyResult::UNCHANGED) ++changed;
  }

  // References are checked against the state as it will be, so resources
  // of one request may refer to each other in any order. Unchanged ones
  // were checked when they were stored.
  PortLookup ports(hooks_.port_names);
  for (int i = 0; i < request.resources_size(); ++i) {
    if (outcomes[i] == ApplyResult::UNCHANGED) continue;
    const Resource& r = request.resources(i);
    absl::Status s;
    std::string what;
    switch (r.kind_case()) {
      case Resource::kService:
        s = CheckReferences(r.service(), next, &ports);
        what = Describe(r.service());
        break;
      case Resource::kChain:
        s = CheckReferences(r.chain(), next, &ports);
        what = Describe(r.chain());
        break;
      default:
        s = CheckReferences(r.rule(), next, &ports);
        what = Describe(r.rule());
        break;
    }
    if (!s.ok()) return Annotate(s, what);
  }

  if (changed == 0) {
    response.set_generation(next.generation);
    return response;
  }
  ++next.generation;
  response.set_generation(next.generation);
  if (absl::Status s = Commit(std::move(next)); !s.ok()) {
    return Annotate(s, absl::StrCat("apply of ", request.resources_size(), " resources"));
  }
  for (const ApplyResult& result : response.results()) {
    if (result.outcome() == ApplyResult::UNCHANGED) continue;
    LogInfo(absl::StrCat(OutcomeVerb(result.outcome()), " ",
                         Describe(absl::AsciiStrToLower(result.kind()), result.name()),
                         " (apply); generation ", response.generation()));
  }
  return response;
}

absl::StatusOr<Service> StateStore::CreateService(const Service& service) {
  return Create(service);
}
absl::StatusOr<Service> StateStore::GetService(absl::string_view name) const {
  return Get<Service>(name);
}
std::vector<Service> StateStore::ListServices() const { return List<Service>(); }
absl::Status StateStore::DeleteService(absl::string_view name) { return Delete<Service>(name); }

absl::StatusOr<Service> StateStore::UpdateService(const Service& in,
                                                  const google::protobuf::FieldMask& mask) {
  if (absl::Status s = ValidateName("service.metadata.name", in.metadata().name()); !s.ok()) {
    return s;
  }
  const std::string what = Describe(in);
  if (mask.paths_size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": update_mask: must name at least one field (spec.replicas, spec.launch)"));
  }
  for (const std::string& path : mask.paths()) {
    if (path != "spec.replicas" && path != "spec.launch") {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": update_mask: path \"", path,
                       "\" cannot be updated (supported: spec.replicas, spec.launch)"));
    }
  }
  absl::MutexLock lock(&commit_mu_);
  DesiredState next = Copy();
  auto it = next.services.find(in.metadata().name());
  if (it == next.services.end()) return NotFound("service", in.metadata().name());
  Service updated = it->second;
  for (const std::string& path : mask.paths()) {
    if (path == "spec.replicas") {
      updated.mutable_spec()->set_replicas(in.spec().replicas());
    } else if (in.spec().has_launch()) {
      *updated.mutable_spec()->mutable_launch() = in.spec().launch();
    } else {
      updated.mutable_spec()->clear_launch();
    }
  }
  if (absl::Status s = ValidateResource(updated); !s.ok()) return Annotate(s, what);
  if (SameSpec(it->second, updated)) return it->second;
  PortLookup ports(hooks_.port_names);
  if (absl::Status s = CheckReferences(updated, next, &ports); !s.ok()) return Annotate(s, what);
  updated.mutable_metadata()->set_generation(updated.metadata().generation() + 1);
  it->second = updated;
  ++next.generation;
  const uint64_t generation = next.generation;
  if (absl::Status s = Commit(std::move(next)); !s.ok()) return Annotate(s, what);
  LogInfo(absl::StrCat("updated ", what, " (", absl::StrJoin(mask.paths(), ", "), "); generation ",
                       generation));
  return updated;
}

absl::StatusOr<Chain> StateStore::CreateChain(const Chain& chain) { return Create(chain); }
absl::StatusOr<Chain> StateStore::GetChain(absl::string_view name) const {
  return Get<Chain>(name);
}
std::vector<Chain> StateStore::ListChains() const { return List<Chain>(); }
absl::Status StateStore::DeleteChain(absl::string_view name) { return Delete<Chain>(name); }

absl::StatusOr<Rule> StateStore::CreateRule(const Rule& rule) { return Create(rule); }
absl::StatusOr<Rule> StateStore::GetRule(absl::string_view name) const { return Get<Rule>(name); }
std::vector<Rule> StateStore::ListRules() const { return List<Rule>(); }
absl::Status StateStore::DeleteRule(absl::string_view name) { return Delete<Rule>(name); }

}  // namespace onvm::agent
