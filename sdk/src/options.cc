#include "options.h"

#include <rte_config.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "onvm/names.h"

namespace onvm::internal {
namespace {

constexpr absl::string_view kSynopsis =
    " --engine NAME --service NAME [--core N] [--idle-sleep-us N] [--shared-core]\n"
    "       [NF flags]\n";

bool ParseUnsigned(absl::string_view text, uint64_t max, uint64_t* out) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  uint64_t v = 0;
  if (!absl::SimpleAtoi(text, &v) || v > max) return false;
  *out = v;
  return true;
}

}  // namespace

absl::StatusOr<NfOptions> ParseNfOptions(int argc, const char* const* argv) {
  NfOptions opts;
  bool have_core = false;
  bool have_idle = false;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) opts.nf_args.emplace_back(argv[i]);
      break;
    }
    if (arg == "-h" || arg == "--help") {
      opts.help = true;
      continue;
    }
    if (arg == "--shared-core") {
      opts.shared_core = true;
      continue;
    }
    absl::string_view name = arg;
    std::optional<absl::string_view> inline_value;
    if (const size_t eq = arg.find('='); absl::StartsWith(arg, "--") && eq != arg.npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    if (name != "--engine" && name != "--service" && name != "--core" &&
        name != "--idle-sleep-us") {
      opts.nf_args.emplace_back(arg);
      continue;
    }
    absl::string_view value;
    if (inline_value.has_value()) {
      value = *inline_value;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
    }
    if (name == "--engine" || name == "--service") {
      std::string& field = name == "--engine" ? opts.engine : opts.service;
      if (!field.empty()) return absl::InvalidArgumentError(absl::StrCat(name, " given twice"));
      if (absl::Status s = ValidateName(name, value); !s.ok()) return s;
      field = std::string(value);
    } else if (name == "--core") {
      if (have_core) return absl::InvalidArgumentError("--core given twice");
      uint64_t core = 0;
      if (!ParseUnsigned(value, RTE_MAX_LCORE - 1, &core)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--core: '", value, "' is not a CPU number 0..", RTE_MAX_LCORE - 1));
      }
      opts.core = static_cast<unsigned>(core);
      have_core = true;
    } else {
      if (have_idle) return absl::InvalidArgumentError("--idle-sleep-us given twice");
      uint64_t us = 0;
      if (!ParseUnsigned(value, kMaxIdleSleepUs, &us)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--idle-sleep-us: '", value, "' is not a number of microseconds 0..", kMaxIdleSleepUs));
      }
      opts.idle_sleep_us = static_cast<uint32_t>(us);
      have_idle = true;
    }
  }
  if (opts.help) return opts;
  if (opts.engine.empty()) return absl::InvalidArgumentError("--engine is required");
  if (opts.service.empty()) return absl::InvalidArgumentError("--service is required");
  return opts;
}

std::string ShortUsage(absl::string_view program) {
  return absl::StrCat("usage: ", program, kSynopsis, "run '", program, " --help' for details\n");
}

std::string UsageText(absl::string_view program, const char* nf_usage) {
  std::string text = absl::StrCat(
      "usage: ", program, kSynopsis,
      "\n"
      "  --engine NAME       engine to attach to (control socket /run/onvm/NAME.sock,\n"
      "                      or $ONVM_RUN_DIR/NAME.sock)\n"
      "  --service NAME      service this NF serves; the engine must know it\n"
      "  --core N            CPU to poll on (default: first CPU the process may run on)\n"
      "  --idle-sleep-us N   after 1000 empty polls in a row, sleep N microseconds per\n"
      "                      empty poll (default 0: busy-poll)\n"
      "  --shared-core       sleep while the rx ring is empty; the engine wakes the NF\n"
      "                      when packets come (for several NFs on one CPU)\n"
      "  -h, --help          show this text\n");
  if (nf_usage != nullptr && nf_usage[0] != '\0') {
    absl::StrAppend(&text, "\nNF flags:\n", nf_usage);
    if (text.back() != '\n') text.push_back('\n');
  }
  return text;
}

std::string ProgramName(int argc, const char* const* argv) {
  if (argc < 1 || argv[0] == nullptr || argv[0][0] == '\0') return "onvm-nf";
  absl::string_view path = argv[0];
  if (const size_t slash = path.rfind('/'); slash != path.npos) path.remove_prefix(slash + 1);
  return std::string(path);
}

}  // namespace onvm::internal
