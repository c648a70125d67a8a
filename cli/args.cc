#include "cli/args.h"

#include <array>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace onvm::cli {
namespace {

struct FlagSpec {
  absl::string_view name;  // Long name, without dashes.
  char shorthand;          // 0 when there is none.
  bool takes_value;
};

constexpr std::array<FlagSpec, 12> kFlags = {{
    {"server", 's', true},
    {"output", 'o', true},
    {"filename", 'f', true},
    {"help", 'h', false},
    {"ignore-not-found", 0, false},
    {"replicas", 0, true},
    {"wait", 0, false},
    {"timeout", 0, true},
    {"interval", 0, true},
    {"dry-run", 0, true},
    {"prune", 0, false},
    {"watch", 'w', false},
}};

// How to reach the agent; every verb takes them (cli/connection.h).
constexpr std::array<FlagSpec, 4> kConnectionFlags = {{
    {"tls-ca", 0, true},
    {"tls-cert", 0, true},
    {"tls-key", 0, true},
    {"token-file", 0, true},
}};

bool IsGlobalFlag(absl::string_view name) {
  if (name == "server" || name == "help") return true;
  for (const FlagSpec& spec : kConnectionFlags) {
    if (spec.name == name) return true;
  }
  return false;
}

// A boolean flag: `--flag`, `--flag=true` or `--flag=false`.
absl::StatusOr<bool> BoolValue(absl::string_view name, const std::optional<std::string>& value) {
  if (!value.has_value() || *value == "true") return true;
  if (*value == "false") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("invalid value \"", *value, "\" for --", name, " (want true or false)"));
}

const FlagSpec* FindLong(absl::string_view name) {
  for (const FlagSpec& spec : kFlags) {
    if (spec.name == name) return &spec;
  }
  for (const FlagSpec& spec : kConnectionFlags) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

const FlagSpec* FindShort(char shorthand) {
  for (const FlagSpec& spec : kFlags) {
    if (spec.shorthand != 0 && spec.shorthand == shorthand) return &spec;
  }
  return nullptr;
}

absl::Status Store(const FlagSpec& spec, const std::optional<std::string>& value,
                   Invocation& invocation) {
  invocation.flags_seen.insert(std::string(spec.name));
  if (spec.name == "server") {
    invocation.server = *value;
  } else if (spec.name == "tls-ca") {
    invocation.tls_ca = *value;
  } else if (spec.name == "tls-cert") {
    invocation.tls_cert = *value;
  } else if (spec.name == "tls-key") {
    invocation.tls_key = *value;
  } else if (spec.name == "token-file") {
    invocation.token_file = *value;
  } else if (spec.name == "output") {
    invocation.output = *value;
  } else if (spec.name == "filename") {
    invocation.files.push_back(*value);
  } else if (spec.name == "help") {
    invocation.help = true;
  } else if (spec.name == "ignore-not-found" || spec.name == "wait") {
    absl::StatusOr<bool> on = BoolValue(spec.name, value);
    if (!on.ok()) return on.status();
    (spec.name == "wait" ? invocation.wait : invocation.ignore_not_found) = *on;
  } else if (spec.name == "watch") {
    absl::StatusOr<bool> on = BoolValue(spec.name, value);
    if (!on.ok()) return on.status();
    invocation.watch = *on;
  } else if (spec.name == "prune") {
    absl::StatusOr<bool> on = BoolValue(spec.name, value);
    if (!on.ok()) return on.status();
    invocation.prune = *on;
  } else if (spec.name == "dry-run") {
    invocation.dry_run = *value;
  } else if (spec.name == "replicas") {
    invocation.replicas = *value;
  } else if (spec.name == "timeout") {
    invocation.timeout = *value;
  } else if (spec.name == "interval") {
    invocation.interval = *value;
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<FlagInfo> KnownFlags() {
  std::vector<FlagInfo> flags;
  for (const FlagSpec& spec : kFlags) {
    flags.push_back({std::string(spec.name), spec.shorthand, spec.takes_value});
  }
  for (const FlagSpec& spec : kConnectionFlags) {
    flags.push_back({std::string(spec.name), spec.shorthand, spec.takes_value});
  }
  return flags;
}

absl::StatusOr<Invocation> ParseArgs(const std::vector<std::string>& argv) {
  Invocation invocation;
  std::vector<std::string> positional;
  bool flags_done = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (flags_done || arg == "-" || !absl::StartsWith(arg, "-")) {
      positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    const FlagSpec* spec = nullptr;
    std::optional<std::string> value;
    std::string shown;  // The flag as the user wrote it, for messages.
    if (absl::StartsWith(arg, "--")) {
      absl::string_view body = absl::string_view(arg).substr(2);
      const size_t equals = body.find('=');
      if (equals != absl::string_view::npos) {
        value = std::string(body.substr(equals + 1));
        body = body.substr(0, equals);
      }
      shown = absl::StrCat("--", body);
      spec = FindLong(body);
    } else {
      shown = arg.substr(0, 2);
      spec = FindShort(arg[1]);
      if (arg.size() > 2) {
        // "-oyaml" and "-o=yaml".
        value = arg.substr(arg[2] == '=' ? 3 : 2);
      }
      if (spec != nullptr && !spec->takes_value && value.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat("unknown flag: ", arg));
      }
    }
    if (spec == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown flag: ", shown));
    if (spec->takes_value && !value.has_value()) {
      if (i + 1 >= argv.size()) {
        return absl::InvalidArgumentError(absl::StrCat("flag needs an argument: ", shown));
      }
      value = argv[++i];
    }
    if (absl::Status status = Store(*spec, value, invocation); !status.ok()) return status;
  }
  if (!positional.empty()) {
    invocation.verb = positional.front();
    invocation.args.assign(positional.begin() + 1, positional.end());
  }
  return invocation;
}

absl::Status CheckFlags(const Invocation& invocation, const std::set<std::string>& allowed) {
  for (const std::string& flag : invocation.flags_seen) {
    if (IsGlobalFlag(flag) || allowed.count(flag) > 0) continue;
    return absl::InvalidArgumentError(
        absl::StrCat("flag --", flag, " is not supported by \"", invocation.verb, "\""));
  }
  return absl::OkStatus();
}

}  // namespace onvm::cli
