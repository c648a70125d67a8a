// The resource kinds onvmctl knows, and the names users may call them by.
#ifndef ONVM_CLI_KINDS_H_
#define ONVM_CLI_KINDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onvm::cli {

enum class Kind { kService, kChain, kRule, kPort, kInstance };

// Resolves a kind as typed on the command line: singular, plural or short
// name, case-insensitively as kubectl does ("svc", "Services", "rl").
absl::StatusOr<Kind> ResolveKind(absl::string_view word);

// "service": the prefix of `kind/name` output.
absl::string_view KindSingular(Kind kind);

// "services": used in messages about lists.
absl::string_view KindPlural(Kind kind);

// "Service": the `kind` field of the API object.
absl::string_view KindTitle(Kind kind);

// Whether the kind can be created and deleted through the API; ports and
// instances are owned by the engine and only observed.
bool KindIsMutable(Kind kind);

// What `get` and `delete` act on: a kind and zero or more names.
struct Targets {
  Kind kind;
  std::vector<std::string> names;
};

// Parses `KIND [NAME...]` or `KIND/NAME [KIND/NAME...]` (one kind only).
absl::StatusOr<Targets> ParseTargets(const std::vector<std::string>& args);

// Every word that names a kind (singular, plural, short), for completion.
std::vector<std::string> AllKindWords();

// "services|chains|rules|ports|instances", for usage hints.
std::string AllKindsHint();

}  // namespace onvm::cli

#endif  // ONVM_CLI_KINDS_H_
