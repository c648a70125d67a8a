// The firewall's rules: parsing the rule language and first-match lookup.
// Pure code (no DPDK), so it is unit-tested on its own.
//
// A rule is "allow|deny SPEC"; SPEC is zero or more conditions, all of
// which must hold:
//   src PREFIX      source address in PREFIX (IPv4 or IPv6, e.g. 10.0.0.0/8)
//   dst PREFIX      destination address in PREFIX
//   proto P         tcp, udp, icmp, icmpv6, sctp or a number 0..255
//   sport A[-B]     source port (or range); only packets with ports match
//   dport A[-B]     destination port (or range)
//   any             no condition (same as an empty SPEC)
// A SPEC that is one bare prefix ("10.0.0.0/8") is short for "src PREFIX".
#ifndef ONVM_SDK_EXAMPLES_FIREWALL_FIREWALL_RULES_H_
#define ONVM_SDK_EXAMPLES_FIREWALL_FIREWALL_RULES_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "onvm/match.h"
#include "onvm/packet_key.h"

namespace onvm::examples::firewall {

enum class Verdict : uint8_t { kAllow, kDeny };

struct Rule {
  Verdict verdict = Verdict::kDeny;
  CompiledMatch match;  // in_port, eth_type and vlan_id are never set
  std::string text;     // "deny src 10.0.0.0/8", for messages
};

struct Config {
  std::vector<Rule> rules;  // in order; the first match wins
  Verdict default_verdict = Verdict::kAllow;
};

// Parses SPEC (the conditions of one rule). Errors are InvalidArgument and
// name the field: "dport: '99999' is not a port ...".
absl::StatusOr<CompiledMatch> ParseSpec(absl::string_view spec);

// Parses one line of a rules file: "allow|deny SPEC", "# comment" and blank
// lines (nullopt). A '#' starts a comment anywhere on the line.
absl::StatusOr<std::optional<Rule>> ParseRuleLine(absl::string_view line);

// Parses a rules file's contents; errors start with "<name>:<line>: ".
absl::StatusOr<std::vector<Rule>> ParseRules(absl::string_view name, absl::string_view contents);

// Parses the NF's flags: --allow SPEC, --deny SPEC, --rules FILE (each
// repeatable, the rules kept in command-line order) and --default
// allow|deny. Errors are InvalidArgument (a usage error) and name the flag,
// the rule and the field.
absl::StatusOr<Config> ParseFlags(std::span<const std::string> args);

// First-match lookup over a fixed rule list.
class RuleSet {
 public:
  explicit RuleSet(const Config& config);

  // Index of the first rule matching the packet, or -1 when none does.
  int Match(const PacketKey& key) const {
    for (size_t i = 0; i < matches_.size(); ++i) {
      if (MatchesHeaders(matches_[i], key)) return static_cast<int>(i);
    }
    return -1;
  }
  // The verdict of Match()'s result (-1: the default).
  Verdict VerdictOf(int rule) const { return rule < 0 ? default_ : verdicts_[rule]; }
  Verdict Classify(const PacketKey& key) const { return VerdictOf(Match(key)); }
  size_t size() const { return matches_.size(); }

 private:
  std::vector<CompiledMatch> matches_;
  std::vector<Verdict> verdicts_;
  Verdict default_;
};

}  // namespace onvm::examples::firewall

#endif  // ONVM_SDK_EXAMPLES_FIREWALL_FIREWALL_RULES_H_
