// Fuzz target: the engine control-socket protocol as the engine reads it.
//
// Input: the bytes a client writes on the control socket. They go through
// what engine/control_server.cc DispatchFrames does with them, minus the
// socket and DPDK:
//   - onvm::FrameDecoder (common/control_frame.h), fed in chunks whose sizes
//     come from the input, must yield exactly the frames (or the error) it
//     yields when fed the whole stream at once, and lose no byte;
//   - each frame is parsed as an onvm.engine.v1.Request; a parsed request,
//     re-encoded with EncodeFrame and decoded again, must be the same;
//   - a SetConfig request goes through the engine's own ValidateConfig
//     (engine/routing_config.cc; a pure function, no DPDK needed at run
//     time) against two ports; what it accepts must hold what BuildRuleTable
//     and BuildSnapshot take for granted (known services, chains and ports,
//     ids in range, matches that compile). BuildRuleTable itself needs an
//     initialised EAL (rte_acl) and is left out.
// A broken invariant aborts with a message, which libFuzzer reports as a
// crash and saves.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "onvm/control_frame.h"
#include "onvm/engine/v1/control.pb.h"
#include "onvm/match.h"
#include "routing_config.h"

namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_control_frame: invariant broken: %s\n", what.c_str());
  std::abort();
}

struct Decoded {
  std::vector<std::string> frames;
  std::optional<std::string> error;  // the stream announced an oversized frame
  size_t left = 0;                   // bytes still buffered at the end
};

// Feeds `stream` in chunks of the given sizes (cycled; the whole stream at
// once when empty), taking every complete frame after each chunk, as
// DispatchFrames does after each read.
Decoded Decode(absl::string_view stream, const std::vector<size_t>& chunks) {
  Decoded out;
  onvm::FrameDecoder decoder;
  size_t next_chunk = 0;
  while (!out.error.has_value()) {
    if (stream.empty() && next_chunk > 0) break;
    size_t n = stream.size();
    if (!chunks.empty()) n = std::min(n, chunks[next_chunk % chunks.size()]);
    ++next_chunk;
    decoder.Feed(stream.substr(0, n));
    stream.remove_prefix(n);
    for (;;) {
      absl::StatusOr<std::optional<std::string>> frame = decoder.Next();
      if (!frame.ok()) {
        if (frame.status().message().empty()) Fail("decoder error without a message");
        out.error = std::string(frame.status().message());
        break;
      }
      if (!frame->has_value()) break;
      out.frames.push_back(**frame);
    }
    if (stream.empty() && chunks.empty()) break;
  }
  out.left = decoder.buffered();
  return out;
}

// ValidateConfig accepted `config`: what it promises must hold, since
// BuildRuleTable and BuildSnapshot rely on it without checking again.
void CheckValidConfig(const onvm::engine::v1::SetConfig& config,
                      const std::vector<onvm::engine::PortEntry>& ports) {
  auto port_known = [&](const std::string& name) {
    for (const auto& p : ports) {
      if (p.name == name) return true;
    }
    return false;
  };
  std::vector<std::string> services;
  for (const auto& s : config.services()) {
    if (s.status().id() == 0 || s.status().id() > 4095) Fail("service id outside 1..4095");
    services.push_back(s.metadata().name());
  }
  std::vector<std::string> chains;
  for (const auto& c : config.chains()) {
    if (c.status().id() == 0 || c.status().id() > 4095) Fail("chain id outside 1..4095");
    if (c.spec().services().empty()) Fail("a chain without services");
    for (const std::string& s : c.spec().services()) {
      if (std::find(services.begin(), services.end(), s) == services.end()) {
        Fail(absl::StrCat("chain names unknown service \"", s, "\""));
      }
    }
    if (c.spec().then().has_out() && !port_known(c.spec().then().out())) {
      Fail("chain ends on an unknown port");
    }
    chains.push_back(c.metadata().name());
  }
  for (const auto& r : config.rules()) {
    auto match = onvm::CompileMatch(r.spec().match(), "spec.match");
    if (!match.ok())
      Fail(absl::StrCat("accepted a rule whose match does not compile: ",
                        match.status().ToString()));
    if (!match->in_port.empty() && !port_known(match->in_port)) Fail("rule on an unknown port");
    const auto& action = r.spec().action();
    if (action.has_chain() &&
        std::find(chains.begin(), chains.end(), action.chain()) == chains.end()) {
      Fail("rule targets an unknown chain");
    }
    if (action.has_out() && !port_known(action.out())) Fail("rule targets an unknown port");
    if (!action.has_chain() && !action.has_out() && !action.has_drop()) {
      Fail("rule without an action");
    }
  }
}

void HandleRequest(const std::string& payload) {
  onvm::engine::v1::Request request;
  if (!request.ParseFromString(payload)) return;  // the engine answers an error, hangs up

  // What a client sends, re-encoded, decodes to the same request.
  onvm::FrameDecoder decoder;
  decoder.Feed(onvm::EncodeFrame(request));
  auto frame = decoder.Next();
  if (!frame.ok() || !frame->has_value()) Fail("an encoded request does not decode");
  onvm::engine::v1::Request again;
  if (!again.ParseFromString(**frame)) Fail("an encoded request does not parse");
  if (again.SerializeAsString() != request.SerializeAsString()) Fail("request round trip");
  if (decoder.buffered() != 0) Fail("bytes left after one whole frame");

  if (request.has_set_config()) {
    static const std::vector<onvm::engine::PortEntry> ports = {{"in", 0, nullptr},
                                                               {"out", 1, nullptr}};
    const absl::Status status = onvm::engine::ValidateConfig(request.set_config(), ports);
    if (status.ok()) {
      CheckValidConfig(request.set_config(), ports);
    } else if (status.message().empty()) {
      Fail("ValidateConfig error without a message");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view stream(reinterpret_cast<const char*>(data), size);

  const Decoded whole = Decode(stream, {});
  // Chunk sizes 1..16 taken from the stream's first bytes: a different
  // split of the same bytes must give the same frames.
  std::vector<size_t> chunks;
  for (size_t i = 0; i < std::min<size_t>(size, 8); ++i) chunks.push_back(1 + data[i] % 16);
  const Decoded split = Decode(stream, chunks);
  if (whole.frames != split.frames) {
    Fail(absl::StrCat("chunking changes the frames: ", whole.frames.size(), " vs ",
                      split.frames.size()));
  }
  if (whole.error != split.error) Fail("chunking changes the error");
  if (!whole.error.has_value() && whole.left != split.left) Fail("chunking changes what is left");

  size_t consumed = 0;
  for (const std::string& f : whole.frames) consumed += 4 + f.size();
  if (!whole.error.has_value() && consumed + whole.left != size) {
    Fail(absl::StrCat("bytes lost: ", consumed, " in frames + ", whole.left, " left != ", size));
  }

  for (const std::string& payload : whole.frames) HandleRequest(payload);
  return 0;
}
