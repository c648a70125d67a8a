// Fuzz target: the agent's OpenFlow 1.3 codec and flow translation
// (agent/openflow/codec.cc, flow_translate.cc), as a switch meets them.
//
// Input: bytes a controller writes on a connection. They are framed the
// way agent/openflow/session.cc frames them (PeekHeader, then exactly
// `length` bytes, each message copied into a heap buffer of its own size so
// that any read past it is an ASan report), and each message:
//   - either decodes, or fails with an OpenFlow error (type, code) to send;
//   - once decoded, re-encodes to bytes that decode to the same message
//     (lengths and padding recomputed);
//   - as a FLOW_MOD, translates to a rule match and action against a fixed
//     port map, or fails with an OpenFlow error; a translated match must
//     compile as an onvm rule (the store would accept it), translate back,
//     and select itself as a non-strict and a strict request would.
// A broken invariant aborts with a message, which libFuzzer reports as a
// crash and saves.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/openflow/codec.h"
#include "agent/openflow/error.h"
#include "agent/openflow/flow_translate.h"
#include "onvm/match.h"

namespace {

using namespace onvm::agent::openflow;  // NOLINT: a fuzz target's own scope

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_openflow: invariant broken: %s\n", what.c_str());
  std::abort();
}

const PortMap& Ports() {
  static const PortMap* ports = [] {
    auto* p = new PortMap;
    p->ports = {{1, "in"}, {2, "out"}};
    p->chains = {{kChainPortBase + 1, "web"}};
    return p;
  }();
  return *ports;
}

void CheckFlowMod(const FlowMod& fm) {
  absl::StatusOr<onvm::v1::Match> match = ToRuleMatch(fm.match, Ports());
  if (!match.ok()) {
    if (!ErrorCodeOf(match.status()).has_value()) {
      Fail(absl::StrCat("match refused without an OpenFlow error: ", match.status().ToString()));
    }
  } else {
    if (absl::StatusOr<onvm::CompiledMatch> c = onvm::CompileMatch(*match, "spec.match"); !c.ok()) {
      Fail(absl::StrCat("translated match does not compile: ", c.status().ToString()));
    }
    absl::StatusOr<Match> back = FromRuleMatch(*match, Ports());
    if (!back.ok()) Fail(absl::StrCat("no way back: ", back.status().ToString()));
    absl::StatusOr<NormalMatch> a = Normalize(fm.match);
    absl::StatusOr<NormalMatch> b = Normalize(*back);
    if (!a.ok() || !b.ok()) Fail("normalize failed after a translation");
    // The flow as stored (b) must be selected by the request that made it
    // (a: the same packets, perhaps spelled with other masks), and by
    // itself.
    if (!Covers(*a, *b) || !Covers(*b, *b) || !Overlaps(*a, *b)) {
      Fail("a flow is not selected by its own match");
    }
    absl::StatusOr<onvm::v1::Match> again = ToRuleMatch(*back, Ports());
    if (!again.ok()) Fail("translated-back match refused");
    if (again->SerializeAsString() != match->SerializeAsString()) {
      Fail("match changed on the way through a rule");
    }
    if (RuleNameFor(fm.priority, *match) != RuleNameFor(fm.priority, *again)) {
      Fail("the same flow got two rule names");
    }
  }
  absl::StatusOr<onvm::v1::RuleAction> action = ToRuleAction(fm.instructions, Ports());
  if (!action.ok()) {
    if (!ErrorCodeOf(action.status()).has_value()) Fail("action refused without an error");
    return;
  }
  absl::StatusOr<std::vector<Instruction>> back = FromRuleAction(*action, Ports());
  if (!back.ok()) Fail("action has no way back");
  absl::StatusOr<onvm::v1::RuleAction> again = ToRuleAction(*back, Ports());
  if (!again.ok() || again->SerializeAsString() != action->SerializeAsString()) {
    Fail("action changed on the way back");
  }
}

void CheckMessage(std::span<const uint8_t> frame) {
  // Its own allocation, exactly its size.
  std::vector<uint8_t> copy(frame.begin(), frame.end());
  absl::StatusOr<Message> m = Decode(copy);
  if (!m.ok()) {
    if (!ErrorCodeOf(m.status()).has_value()) {
      Fail(absl::StrCat("refused without an OpenFlow error: ", m.status().ToString()));
    }
    // What the switch would send back must encode.
    (void)Encode(MakeError(0, ErrorCodeOf(m.status())->type, ErrorCodeOf(m.status())->code, copy));
    return;
  }
  const std::vector<uint8_t> again_bytes = Encode(*m);
  if (again_bytes.size() > OFP_MAX_MSG_LEN) Fail("re-encoded message too long");
  absl::StatusOr<Message> again = Decode(again_bytes);
  if (!again.ok()) Fail(absl::StrCat("re-encoded message refused: ", again.status().ToString()));
  if (!(*again == *m)) {
    Fail(absl::StrCat("re-encoded message of type ", m->type, " decodes differently"));
  }
  if (const auto* fm = std::get_if<FlowMod>(&m->body)) CheckFlowMod(*fm);
  if (const auto* mp = std::get_if<MultipartRequest>(&m->body)) {
    if (const auto* fs = std::get_if<FlowStatsRequest>(&mp->body)) {
      (void)Normalize(fs->match);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> rest(data, size);
  while (true) {
    std::optional<Header> h = PeekHeader(rest);
    if (!h.has_value() || h->length < OFP_HEADER_LEN || h->length > rest.size()) break;
    CheckMessage(rest.first(h->length));
    rest = rest.subspan(h->length);
  }
  return 0;
}
