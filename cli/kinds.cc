#include "cli/kinds.h"

#include <array>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace onvm::cli {
namespace {

struct KindNames {
  Kind kind;
  absl::string_view singular;
  absl::string_view plural;
  absl::string_view short_name;
  absl::string_view title;
};

constexpr std::array<KindNames, 5> kKinds = {{
    {Kind::kService, "service", "services", "svc", "Service"},
    {Kind::kChain, "chain", "chains", "ch", "Chain"},
    {Kind::kRule, "rule", "rules", "rl", "Rule"},
    {Kind::kPort, "port", "ports", "po", "Port"},
    {Kind::kInstance, "instance", "instances", "inst", "Instance"},
}};

const KindNames& NamesOf(Kind kind) {
  for (const KindNames& names : kKinds) {
    if (names.kind == kind) return names;
  }
  return kKinds[0];  // Unreachable: every enumerator has an entry.
}

}  // namespace

absl::StatusOr<Kind> ResolveKind(absl::string_view word) {
  const std::string lower = absl::AsciiStrToLower(word);
  for (const KindNames& names : kKinds) {
    if (lower == names.singular || lower == names.plural || lower == names.short_name) {
      return names.kind;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("the server doesn't have a resource type \"",
                                                 std::string(word), "\" (want one of ",
                                                 AllKindsHint(), ")"));
}

absl::string_view KindSingular(Kind kind) { return NamesOf(kind).singular; }
absl::string_view KindPlural(Kind kind) { return NamesOf(kind).plural; }
absl::string_view KindTitle(Kind kind) { return NamesOf(kind).title; }

bool KindIsMutable(Kind kind) {
  return kind == Kind::kService || kind == Kind::kChain || kind == Kind::kRule;
}

absl::StatusOr<Targets> ParseTargets(const std::vector<std::string>& args) {
  if (args.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("you must specify the type of resource (", AllKindsHint(), ")"));
  }
  if (args.front().find('/') == std::string::npos) {
    absl::StatusOr<Kind> kind = ResolveKind(args.front());
    if (!kind.ok()) return kind.status();
    Targets targets{*kind, {args.begin() + 1, args.end()}};
    for (const std::string& name : targets.names) {
      if (name.find('/') != std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", name, "\": give either KIND NAME... or KIND/NAME..., not both"));
      }
    }
    return targets;
  }
  std::optional<Targets> targets;
  for (const std::string& arg : args) {
    const size_t slash = arg.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == arg.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", arg, "\": expected KIND/NAME like the arguments before it"));
    }
    absl::StatusOr<Kind> kind = ResolveKind(absl::string_view(arg).substr(0, slash));
    if (!kind.ok()) return kind.status();
    if (!targets.has_value()) targets = Targets{*kind, {}};
    if (targets->kind != *kind) {
      return absl::InvalidArgumentError("all KIND/NAME arguments must be of the same kind");
    }
    targets->names.push_back(arg.substr(slash + 1));
  }
  return *std::move(targets);
}

std::vector<std::string> AllKindWords() {
  std::vector<std::string> words;
  for (const KindNames& names : kKinds) {
    words.emplace_back(names.singular);
    words.emplace_back(names.plural);
    words.emplace_back(names.short_name);
  }
  return words;
}

std::string AllKindsHint() {
  std::string hint;
  for (const KindNames& names : kKinds) {
    absl::StrAppend(&hint, hint.empty() ? "" : "|", names.plural);
  }
  return hint;
}

}  // namespace onvm::cli
