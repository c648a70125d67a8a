// Checks of a resource before the store accepts it. Messages name the field
// ("spec.match.dstPrefix: ..."); the store prefixes the resource.
#ifndef ONVM_AGENT_VALIDATION_H_
#define ONVM_AGENT_VALIDATION_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/desired_state.h"

namespace onvm::agent {

using PortNames = absl::flat_hash_set<std::string>;
// Returns the engine's port names, or UNAVAILABLE when they are not known.
using PortNamesFn = std::function<absl::StatusOr<PortNames>()>;

// Fetches the engine's port names at most once, and only if a resource
// actually names a port.
class PortLookup {
 public:
  explicit PortLookup(PortNamesFn fetch) : fetch_(std::move(fetch)) {}
  // NOT_FOUND naming `field` if `port` is not an engine port; UNAVAILABLE if
  // the engine's ports are unknown.
  absl::Status Check(absl::string_view field, const std::string& port);

 private:
  PortNamesFn fetch_;
  std::optional<absl::StatusOr<PortNames>> ports_;
};

// apiVersion, kind, metadata.name and every spec field that needs no other
// resource.
absl::Status ValidateResource(const onvm::v1::Service& service);
absl::Status ValidateResource(const onvm::v1::Chain& chain);
absl::Status ValidateResource(const onvm::v1::Rule& rule);

// Resources and ports the resource names, looked up in `state` (the state
// it would live in) and in `ports`. Pass ports == nullptr to skip ports.
absl::Status CheckReferences(const onvm::v1::Service& service, const DesiredState& state,
                             PortLookup* ports);
absl::Status CheckReferences(const onvm::v1::Chain& chain, const DesiredState& state,
                             PortLookup* ports);
absl::Status CheckReferences(const onvm::v1::Rule& rule, const DesiredState& state,
                             PortLookup* ports);

// The first resource in `state` that refers to the named resource, as
// `chain "web" (spec.services[0])`, or nullopt.
std::optional<std::string> FindUser(const onvm::v1::Service& service, const DesiredState& state);
std::optional<std::string> FindUser(const onvm::v1::Chain& chain, const DesiredState& state);
std::optional<std::string> FindUser(const onvm::v1::Rule& rule, const DesiredState& state);

// True when both carry the same spec (what idempotent create and apply
// compare; metadata and status are output only).
bool SameSpec(const onvm::v1::Service& a, const onvm::v1::Service& b);
bool SameSpec(const onvm::v1::Chain& a, const onvm::v1::Chain& b);
bool SameSpec(const onvm::v1::Rule& a, const onvm::v1::Rule& b);

// The resource as the store keeps it: apiVersion, kind, name and spec from
// `in`; metadata.generation and status left for the store to fill.
template <typename T>
T Normalized(const T& in) {
  T out;
  out.set_api_version(kApiVersion);
  out.set_kind(std::string(Kind<T>::kName));
  out.mutable_metadata()->set_name(in.metadata().name());
  *out.mutable_spec() = in.spec();
  return out;
}

// Prefixes a status message, keeping its code.
absl::Status Annotate(const absl::Status& status, absl::string_view prefix);

}  // namespace onvm::agent

#endif  // ONVM_AGENT_VALIDATION_H_
