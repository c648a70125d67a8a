#include "agent/state_store.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/log.h"
#include "agent/rule_origin.h"
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
  MarkGrpcOrigin(&stored);
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
    if (absl::Status s = CheckGrpcMayChange(it->second); !s.ok()) return s;
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
    case ApplyResult::PRUNED:
      return "pruned";
    default:
      return "unchanged";
  }
}

// Removes from `next` the resources of kind T that the request does not
// hold, if it holds any of kind T; records them in `pruned`.
template <typename T>
void PruneKind(const absl::flat_hash_map<std::string, int>& in_request, DesiredState* next,
               std::vector<T>* pruned) {
  const std::string prefix = absl::StrCat(Kind<T>::kName, "/");
  const bool kind_given = std::any_of(in_request.begin(), in_request.end(), [&](const auto& e) {
    return absl::StartsWith(e.first, prefix);
  });
  if (!kind_given) return;
  auto& map = Kind<T>::Map(*next);
  for (auto it = map.begin(); it != map.end();) {
    // Rules an OpenFlow controller installed are not the request's to prune.
    if (in_request.contains(absl::StrCat(prefix, it->first)) ||
        !CheckGrpcMayChange(it->second).ok()) {
      ++it;
      continue;
    }
    pruned->push_back(it->second);
    it = map.erase(it);
  }
}

// Refuses to prune what a kept resource still uses: the same answer a
// delete of it would get.
template <typename T>
absl::Status CheckUnused(const std::vector<T>& pruned, const DesiredState& next) {
  for (const T& r : pruned) {
    if (std::optional<std::string> user = FindUser(r, next); user.has_value()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot prune ", Describe(r), ": it is in use by ", *user, ", which the apply keeps"));
    }
  }
  return absl::OkStatus();
}

template <typename T>
void ReportPruned(const std::vector<T>& pruned, ApplyResponse* response) {
  for (const T& r : pruned) {
    ApplyResult* result = response->add_results();
    result->set_kind(std::string(Kind<T>::kName));
    result->set_name(r.metadata().name());
    result->set_outcome(ApplyResult::PRUNED);
  }
}

// ApplyRequest.prune: the kinds the request holds keep only what it holds.
// `in_request` has "Kind/name" of every resource of the request.
absl::Status Prune(const absl::flat_hash_map<std::string, int>& in_request, DesiredState* next,
                   ApplyResponse* response, int* changed) {
  std::vector<Rule> rules;
  std::vector<Chain> chains;
  std::vector<Service> services;
  PruneKind(in_request, next, &rules);
  PruneKind(in_request, next, &chains);
  PruneKind(in_request, next, &services);
  if (absl::Status s = CheckUnused(services, *next); !s.ok()) return s;
  if (absl::Status s = CheckUnused(chains, *next); !s.ok()) return s;
  if (absl::Status s = CheckUnused(rules, *next); !s.ok()) return s;
  ReportPruned(services, response);
  ReportPruned(chains, response);
  ReportPruned(rules, response);
  *changed += static_cast<int>(services.size() + chains.size() + rules.size());
  return absl::OkStatus();
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
  {
    absl::MutexLock lock(&mu_);
    state_ = std::move(next);
  }
  if (hooks_.committed) hooks_.committed(proposed);
  return absl::OkStatus();
}

absl::Status StateStore::CommitOrCheck(DesiredState next, WriteOptions options) {
  if (!options.validate_only) return Commit(std::move(next));
  // What the push hook checks before it reaches the engine.
  return CheckStateSize(ToProto(next));
}

template <typename T>
absl::StatusOr<T> StateStore::Create(const T& in, WriteOptions options) {
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
  if (absl::Status s = CommitOrCheck(std::move(next), options); !s.ok()) {
    return Annotate(s, Describe(in));
  }
  if (options.validate_only) return created;
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
std::vector<T> StateStore::List(absl::string_view after, size_t limit, bool* more) const {
  absl::ReaderMutexLock lock(&mu_);
  const auto& map = Kind<T>::Map(state_);
  // Names are unique and ordered, so "after the last one returned" stays
  // well defined while resources come and go between pages.
  auto it = after.empty() ? map.begin() : map.upper_bound(std::string(after));
  std::vector<T> out;
  out.reserve(std::min(limit, map.size()));
  for (; it != map.end() && out.size() < limit; ++it) out.push_back(it->second);
  *more = it != map.end();
  return out;
}

template <typename T>
absl::Status StateStore::Delete(absl::string_view name, WriteOptions options) {
  if (absl::Status s = ValidateName("name", name); !s.ok()) return s;
  absl::MutexLock lock(&commit_mu_);
  DesiredState next = Copy();
  auto& map = Kind<T>::Map(next);
  auto it = map.find(std::string(name));
  if (it == map.end()) return NotFound(Kind<T>::kLower, name);
  if (absl::Status s = CheckGrpcMayChange(it->second); !s.ok()) return s;
  if (std::optional<std::string> user = FindUser(it->second, next); user.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat(Describe(it->second), " is in use by ", *user));
  }
  const std::string what = Describe(it->second);
  map.erase(it);
  ++next.generation;
  const uint64_t generation = next.generation;
  if (absl::Status s = CommitOrCheck(std::move(next), options); !s.ok()) {
    return Annotate(s, what);
  }
  if (options.validate_only) return absl::OkStatus();
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

  if (request.prune()) {
    if (absl::Status s = Prune(first_index, &next, &response, &changed); !s.ok()) return s;
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
  const WriteOptions options{.validate_only = request.validate_only()};
  if (absl::Status s = CommitOrCheck(std::move(next), options); !s.ok()) {
    return Annotate(s, absl::StrCat("apply of ", request.resources_size(), " resources"));
  }
  if (options.validate_only) return response;
  for (const ApplyResult& result : response.results()) {
    if (result.outcome() == ApplyResult::UNCHANGED) continue;
    LogInfo(absl::StrCat(OutcomeVerb(result.outcome()), " ",
                         Describe(absl::AsciiStrToLower(result.kind()), result.name()),
                         " (apply); generation ", response.generation()));
  }
  return response;
}

absl::StatusOr<Service> StateStore::CreateService(const Service& service, WriteOptions options) {
  return Create(service, options);
}
absl::StatusOr<Service> StateStore::GetService(absl::string_view name) const {
  return Get<Service>(name);
}
std::vector<Service> StateStore::ListServices() const {
  bool more = false;
  return List<Service>("", SIZE_MAX, &more);
}
std::vector<Service> StateStore::ListServices(absl::string_view after, size_t limit,
                                              bool* more) const {
  return List<Service>(after, limit, more);
}
absl::Status StateStore::DeleteService(absl::string_view name, WriteOptions options) {
  return Delete<Service>(name, options);
}

constexpr absl::string_view kUpdatablePaths =
    "spec.replicas, spec.launch, spec.placement, spec.core_mode";

absl::StatusOr<Service> StateStore::UpdateService(const Service& in,
                                                  const google::protobuf::FieldMask& mask,
                                                  WriteOptions options) {
  if (absl::Status s = ValidateName("service.metadata.name", in.metadata().name()); !s.ok()) {
    return s;
  }
  const std::string what = Describe(in);
  if (mask.paths_size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": update_mask: must name at least one field (", kUpdatablePaths, ")"));
  }
  for (const std::string& path : mask.paths()) {
    if (path != "spec.replicas" && path != "spec.launch" && path != "spec.placement" &&
        path != "spec.core_mode") {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": update_mask: path \"", path,
                       "\" cannot be updated (supported: ", kUpdatablePaths, ")"));
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
    } else if (path == "spec.placement") {
      *updated.mutable_spec()->mutable_placement() = in.spec().placement();
    } else if (path == "spec.core_mode") {
      updated.mutable_spec()->set_core_mode(in.spec().core_mode());
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
  if (absl::Status s = CommitOrCheck(std::move(next), options); !s.ok()) {
    return Annotate(s, what);
  }
  if (options.validate_only) return updated;
  LogInfo(absl::StrCat("updated ", what, " (", absl::StrJoin(mask.paths(), ", "), "); generation ",
                       generation));
  return updated;
}

absl::StatusOr<Chain> StateStore::CreateChain(const Chain& chain, WriteOptions options) {
  return Create(chain, options);
}
absl::StatusOr<Chain> StateStore::GetChain(absl::string_view name) const {
  return Get<Chain>(name);
}
std::vector<Chain> StateStore::ListChains() const {
  bool more = false;
  return List<Chain>("", SIZE_MAX, &more);
}
std::vector<Chain> StateStore::ListChains(absl::string_view after, size_t limit, bool* more) const {
  return List<Chain>(after, limit, more);
}
absl::Status StateStore::DeleteChain(absl::string_view name, WriteOptions options) {
  return Delete<Chain>(name, options);
}

absl::StatusOr<Rule> StateStore::CreateRule(const Rule& rule, WriteOptions options) {
  return Create(rule, options);
}
absl::StatusOr<Rule> StateStore::GetRule(absl::string_view name) const { return Get<Rule>(name); }
std::vector<Rule> StateStore::ListRules() const {
  bool more = false;
  return List<Rule>("", SIZE_MAX, &more);
}
std::vector<Rule> StateStore::ListRules(absl::string_view after, size_t limit, bool* more) const {
  return List<Rule>(after, limit, more);
}
absl::Status StateStore::DeleteRule(absl::string_view name, WriteOptions options) {
  return Delete<Rule>(name, options);
}

absl::Status StateStore::ChangeRules(absl::string_view origin, const std::vector<Rule>& upserts,
                                     const std::vector<std::string>& deletes) {
  for (const Rule& r : upserts) {
    if (absl::Status s = ValidateResource(r); !s.ok()) return Annotate(s, Describe(r));
  }
  absl::MutexLock lock(&commit_mu_);
  DesiredState next = Copy();
  const auto check_origin = [&](const Rule& stored) -> absl::Status {
    if (stored.status().origin() == origin) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(Describe(stored), " belongs to origin ",
                                                      stored.status().origin(), ", not ", origin));
  };
  for (const std::string& name : deletes) {
    auto it = next.rules.find(name);
    if (it == next.rules.end()) return NotFound("rule", name);
    if (absl::Status s = check_origin(it->second); !s.ok()) return s;
    next.rules.erase(it);
  }
  UsedIdSets ids(next);
  PortLookup ports(hooks_.port_names);
  bool changed = !deletes.empty();
  for (const Rule& r : upserts) {
    auto it = next.rules.find(r.metadata().name());
    if (it != next.rules.end()) {
      if (absl::Status s = check_origin(it->second); !s.ok()) return s;
      if (SameSpec(it->second, r) &&
          it->second.status().openflow_cookie() == r.status().openflow_cookie()) {
        continue;
      }
      *it->second.mutable_spec() = r.spec();
      it->second.mutable_metadata()->set_generation(it->second.metadata().generation() + 1);
    } else {
      absl::StatusOr<Rule> created = Insert(r, &next, &ids);
      if (!created.ok()) return created.status();
      it = next.rules.find(r.metadata().name());
    }
    it->second.mutable_status()->set_origin(std::string(origin));
    it->second.mutable_status()->set_openflow_cookie(r.status().openflow_cookie());
    changed = true;
  }
  if (!changed) return absl::OkStatus();
  for (const Rule& r : upserts) {
    if (absl::Status s = CheckReferences(r, next, &ports); !s.ok()) return Annotate(s, Describe(r));
  }
  ++next.generation;
  const uint64_t generation = next.generation;
  if (absl::Status s = Commit(std::move(next)); !s.ok()) return s;
  LogInfo(absl::StrCat(origin, ": ", upserts.size(), " rules created or replaced, ", deletes.size(),
                       " deleted; generation ", generation));
  return absl::OkStatus();
}

}  // namespace onvm::agent
