#include "deploy_test_util.h"

#include <cctype>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

#ifndef ONVM_SOURCE_DIR
#error "ONVM_SOURCE_DIR must be defined by the build"
#endif

namespace onvm::testing {

std::string SourcePath(std::string_view relative) {
  return absl::StrCat(ONVM_SOURCE_DIR, "/", absl::string_view(relative.data(), relative.size()));
}

absl::StatusOr<size_t> ForwardTraffic(Stack& stack, size_t count) {
  if (absl::Status st = stack.Apply(kForwardChainYaml); !st.ok()) return st;
  if (auto nf = stack.StartForwardNf("fwd"); !nf.ok()) return nf.status();
  auto in = stack.OpenPeer("in");
  if (!in.ok()) return in.status();
  auto out = stack.OpenPeer("out");
  if (!out.ok()) return out.status();
  const std::vector<Frame> frames = GenerateTraffic(count, /*seed=*/8);
  // A bounded window keeps the engine's af_packet rx ring from overflowing
  // on a busy 2-core machine.
  constexpr size_t kWindow = 32;
  size_t sent = 0;
  size_t received = 0;
  while (received < frames.size()) {
    while (sent < frames.size() && sent - received < kWindow) {
      if (absl::Status st = (*in)->Send(frames[sent++]); !st.ok()) return st;
    }
    if (!(*out)->ReceiveOne(std::chrono::seconds(5)).has_value()) break;
    ++received;
  }
  return received;
}

absl::StatusOr<google::protobuf::Struct> ParseJson(const std::string& json) {
  google::protobuf::Struct out;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto st = google::protobuf::util::JsonStringToMessage(json, &out, options);
  if (!st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not JSON (", st.ToString(), "): ", json.substr(0, 200)));
  }
  return out;
}

std::string UrlEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace onvm::testing
