#include "pattern_matcher.h"

#include <deque>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "flags.h"

namespace onvm::examples::payload_scan {
namespace {

uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(static_cast<unsigned char>(c));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<PatternMatcher> PatternMatcher::Build(const std::vector<std::string>& patterns) {
  if (patterns.empty()) return absl::InvalidArgumentError("no pattern given");
  size_t total = 0;
  for (const std::string& p : patterns) {
    if (p.empty()) return absl::InvalidArgumentError("a pattern is empty");
    total += p.size();
  }
  if (total > kMaxTotalBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the patterns have ", total, " bytes in all; at most ", kMaxTotalBytes));
  }
  // The trie: goto_[s * 256 + b] = child + 1, or 0 for none.
  std::vector<uint32_t> trie(256, 0);
  std::vector<bool> accept(1, false);
  for (const std::string& p : patterns) {
    uint32_t s = 0;
    for (unsigned char b : p) {
      uint32_t& child = trie[(size_t{s} << 8) | b];
      if (child == 0) {
        child = static_cast<uint32_t>(accept.size()) + 1;
        accept.push_back(false);
        trie.resize(trie.size() + 256, 0);
      }
      s = trie[(size_t{s} << 8) | b] - 1;
    }
    accept[s] = true;
  }
  // Breadth first: the DFA transition of a missing edge is the failure
  // state's transition; a state accepts when its failure state does.
  PatternMatcher m;
  const size_t n = accept.size();
  m.next_.assign(n * 256, 0);
  std::vector<uint32_t> fail(n, 0);
  std::deque<uint32_t> queue;
  for (uint32_t b = 0; b < 256; ++b) {
    const uint32_t child = trie[b];
    if (child != 0) {
      fail[child - 1] = 0;
      queue.push_back(child - 1);
      m.next_[b] = child - 1;
    }
  }
  while (!queue.empty()) {
    const uint32_t s = queue.front();
    queue.pop_front();
    if (accept[fail[s]]) accept[s] = true;
    for (uint32_t b = 0; b < 256; ++b) {
      const uint32_t child = trie[(size_t{s} << 8) | b];
      const uint32_t via_fail = m.next_[(size_t{fail[s]} << 8) | b] & ~kMatched;
      if (child != 0) {
        fail[child - 1] = via_fail;
        queue.push_back(child - 1);
        m.next_[(size_t{s} << 8) | b] = child - 1;
      } else {
        m.next_[(size_t{s} << 8) | b] = via_fail;
      }
    }
  }
  // Mark transitions into accepting states.
  for (uint32_t& t : m.next_) {
    if (accept[t]) t |= kMatched;
  }
  return m;
}

absl::StatusOr<std::string> ParseHexPattern(absl::string_view field, absl::string_view text) {
  absl::string_view t = text;
  if (t.size() >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) t.remove_prefix(2);
  std::string bytes;
  int high = -1;
  for (char c : t) {
    if ((c == ':' || c == ' ') && high < 0) continue;
    const int v = HexValue(c);
    if (v < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": '", text, "' is not hex bytes such as deadbeef or de:ad:be:ef"));
    }
    if (high < 0) {
      high = v;
    } else {
      bytes.push_back(static_cast<char>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0 || bytes.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", text, "' is not a whole number of hex bytes such as deadbeef"));
  }
  return bytes;
}

PayloadRange FindPayload(const uint8_t* data, size_t len, size_t packet_len, const PacketKey& key) {
  PayloadRange r;
  r.end = packet_len;
  r.begin = key.l3_offset != 0 ? key.l3_offset : (len >= 14 ? 14 : len);
  if (key.ip_version == 0 || key.malformed) return r;
  const size_t l3 = key.l3_offset;
  size_t l4 = key.l4_offset;
  if (key.ip_version == 4) {
    const size_t ihl = static_cast<size_t>(data[l3] & 0x0f) * 4;
    const size_t ip_end = l3 + Load16(data + l3 + 2);
    if (ip_end >= l3 + ihl && ip_end < r.end) r.end = ip_end;
    if (l4 == 0) l4 = l3 + ihl;  // a non-first fragment
  } else {
    const size_t ip_end = l3 + 40 + Load16(data + l3 + 4);
    if (ip_end < r.end) r.end = ip_end;
    if (l4 == 0) l4 = l3 + 40;  // a non-first fragment: extension headers too
  }
  size_t begin = l4;
  switch (key.ip_proto) {
    case kIpProtoTcp:
      // The data offset is in the first segment when the header is.
      if (key.has_l4_ports && l4 + 13 < len)
        begin = l4 + static_cast<size_t>(data[l4 + 12] >> 4) * 4;
      break;
    case kIpProtoUdp:
      if (key.has_l4_ports) begin = l4 + 8;
      break;
    case kIpProtoIcmp:
    case kIpProtoIcmpv6:
      if (key.l4_offset != 0) begin = l4 + 8;
      break;
    default:
      break;
  }
  r.begin = begin < r.end ? begin : r.end;
  return r;
}

absl::StatusOr<Config> ParseFlags(std::span<const std::string> args) {
  auto flags = SplitFlags(args, {"--pattern", "--hex-pattern", "--action"});
  if (!flags.ok()) return flags.status();
  Config c;
  bool have_action = false;
  for (const Flag& f : *flags) {
    if (f.name == "--pattern") {
      if (f.value.empty()) return absl::InvalidArgumentError("--pattern: empty pattern");
      c.patterns.push_back(f.value);
    } else if (f.name == "--hex-pattern") {
      auto p = ParseHexPattern(f.name, f.value);
      if (!p.ok()) return p.status();
      c.patterns.push_back(*std::move(p));
    } else {
      if (have_action) return absl::InvalidArgumentError("--action given twice");
      have_action = true;
      if (f.value == "drop") {
        c.action = Action::kDrop;
      } else if (f.value == "pass") {
        c.action = Action::kPass;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("--action: '", f.value, "' is not drop or pass"));
      }
    }
  }
  if (c.patterns.empty()) {
    return absl::InvalidArgumentError("give at least one --pattern or --hex-pattern");
  }
  size_t total = 0;
  for (const std::string& p : c.patterns) total += p.size();
  if (total > PatternMatcher::kMaxTotalBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the patterns have ", total, " bytes in all; at most ", PatternMatcher::kMaxTotalBytes));
  }
  return c;
}

}  // namespace onvm::examples::payload_scan
