#include "firewall_rules.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "flags.h"

namespace onvm::examples::firewall {
namespace {

absl::Status Invalid(absl::string_view message) { return absl::InvalidArgumentError(message); }

// Prefixes the error of `s` with `context`.
absl::Status WithContext(const absl::Status& s, absl::string_view context) {
  return absl::InvalidArgumentError(absl::StrCat(context, ": ", s.message()));
}

bool IsPortProto(int32_t proto) {
  return proto == kIpProtoTcp || proto == kIpProtoUdp || proto == kIpProtoSctp;
}

absl::StatusOr<Verdict> ParseVerdict(absl::string_view field, absl::string_view text) {
  if (text == "allow") return Verdict::kAllow;
  if (text == "deny") return Verdict::kDeny;
  return Invalid(absl::StrCat(field, ": '", text, "' is not allow or deny"));
}

}  // namespace

absl::StatusOr<CompiledMatch> ParseSpec(absl::string_view spec) {
  std::vector<absl::string_view> tokens =
      absl::StrSplit(spec, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
  CompiledMatch m;
  // A bare prefix is short for "src PREFIX".
  if (tokens.size() == 1 && tokens[0] != "any" &&
      tokens[0].find_first_of("./:") != absl::string_view::npos) {
    auto p = ParsePrefix("src", tokens[0]);
    if (!p.ok()) return p.status();
    m.src = *p;
    return m;
  }
  bool have_src = false, have_dst = false, have_proto = false, have_sport = false,
       have_dport = false;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const absl::string_view key = tokens[i];
    if (key == "any") continue;
    bool* seen = key == "src"     ? &have_src
                 : key == "dst"   ? &have_dst
                 : key == "proto" ? &have_proto
                 : key == "sport" ? &have_sport
                 : key == "dport" ? &have_dport
                                  : nullptr;
    if (seen == nullptr) {
      return Invalid(
          absl::StrCat("'", key, "' is not a condition (src, dst, proto, sport, dport or any)"));
    }
    if (*seen) return Invalid(absl::StrCat(key, " given twice"));
    *seen = true;
    if (i + 1 >= tokens.size()) return Invalid(absl::StrCat(key, " needs a value"));
    const absl::string_view value = tokens[++i];
    if (key == "src" || key == "dst") {
      auto p = ParsePrefix(key, value);
      if (!p.ok()) return p.status();
      (key == "src" ? m.src : m.dst) = *p;
    } else if (key == "proto") {
      auto p = ParseIpProto(key, value);
      if (!p.ok()) return p.status();
      m.ip_proto = *p;
    } else {
      auto r = ParsePortRange(key, value);
      if (!r.ok()) return r.status();
      (key == "sport" ? m.src_ports : m.dst_ports) = *r;
    }
  }
  if (m.src.version != 0 && m.dst.version != 0 && m.src.version != m.dst.version) {
    return Invalid(absl::StrCat("dst: IPv", m.dst.version, " but src is IPv", m.src.version));
  }
  if ((have_sport || have_dport) && m.ip_proto >= 0 && !IsPortProto(m.ip_proto)) {
    return Invalid(absl::StrCat(have_sport ? "sport" : "dport",
                                ": needs proto tcp, udp or sctp (or no proto), not ", m.ip_proto));
  }
  return m;
}

absl::StatusOr<std::optional<Rule>> ParseRuleLine(absl::string_view line) {
  if (const size_t hash = line.find('#'); hash != absl::string_view::npos) {
    line = line.substr(0, hash);
  }
  line = absl::StripAsciiWhitespace(line);
  if (line.empty()) return std::optional<Rule>();
  const size_t space = line.find_first_of(" \t");
  const absl::string_view verb = line.substr(0, space);
  const absl::string_view spec =
      space == absl::string_view::npos ? absl::string_view() : line.substr(space + 1);
  Rule rule;
  rule.text = std::string(line);
  auto v = ParseVerdict("rule", verb);
  if (!v.ok()) {
    return Invalid(absl::StrCat("rule \"", line, "\": '", verb, "' is not allow or deny"));
  }
  rule.verdict = *v;
  auto m = ParseSpec(spec);
  if (!m.ok()) return WithContext(m.status(), absl::StrCat("rule \"", line, "\""));
  rule.match = *std::move(m);
  return std::optional<Rule>(std::move(rule));
}

absl::StatusOr<std::vector<Rule>> ParseRules(absl::string_view name, absl::string_view contents) {
  std::vector<Rule> rules;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    ++line_no;
    auto r = ParseRuleLine(line);
    if (!r.ok()) return WithContext(r.status(), absl::StrCat(name, ":", line_no));
    if (r->has_value()) rules.push_back(**std::move(r));
  }
  return rules;
}

absl::StatusOr<Config> ParseFlags(std::span<const std::string> args) {
  auto flags = SplitFlags(args, {"--allow", "--deny", "--rules", "--default"});
  if (!flags.ok()) return flags.status();
  Config config;
  bool have_default = false;
  for (const Flag& f : *flags) {
    if (f.name == "--default") {
      if (have_default) return Invalid("--default given twice");
      have_default = true;
      auto v = ParseVerdict("--default", f.value);
      if (!v.ok()) return v.status();
      config.default_verdict = *v;
    } else if (f.name == "--rules") {
      std::ifstream in(f.value);
      if (!in) return Invalid(absl::StrCat("--rules: cannot read '", f.value, "'"));
      std::stringstream text;
      text << in.rdbuf();
      auto rules = ParseRules(f.value, text.str());
      if (!rules.ok()) return WithContext(rules.status(), "--rules");
      for (Rule& r : *rules) config.rules.push_back(std::move(r));
    } else {
      const absl::string_view verb = f.name == "--allow" ? "allow" : "deny";
      Rule rule;
      rule.verdict = f.name == "--allow" ? Verdict::kAllow : Verdict::kDeny;
      rule.text = absl::StrCat(verb, " ", absl::StripAsciiWhitespace(f.value));
      auto m = ParseSpec(f.value);
      if (!m.ok()) {
        return WithContext(m.status(), absl::StrCat(f.name, " \"", f.value, "\""));
      }
      rule.match = *std::move(m);
      config.rules.push_back(std::move(rule));
    }
  }
  return config;
}

RuleSet::RuleSet(const Config& config) : default_(config.default_verdict) {
  for (const Rule& r : config.rules) {
    matches_.push_back(r.match);
    verdicts_.push_back(r.verdict);
  }
}

}  // namespace onvm::examples::firewall
