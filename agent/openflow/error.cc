#include "agent/openflow/error.h"

#include <string>

#include "absl/strings/cord.h"

namespace onvm::agent::openflow {
namespace {

constexpr char kPayloadUrl[] = "type.onvm.dev/openflow.error";

}  // namespace

absl::Status OfError(uint16_t type, uint16_t code, absl::string_view why) {
  absl::Status status = absl::InvalidArgumentError(why);
  const char bytes[4] = {static_cast<char>(type >> 8), static_cast<char>(type),
                         static_cast<char>(code >> 8), static_cast<char>(code)};
  status.SetPayload(kPayloadUrl, absl::Cord(absl::string_view(bytes, sizeof(bytes))));
  return status;
}

std::optional<OfErrorCode> ErrorCodeOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value() || payload->size() != 4) return std::nullopt;
  const std::string b(*payload);
  const auto byte = [&](int i) { return static_cast<uint16_t>(static_cast<uint8_t>(b[i])); };
  return OfErrorCode{static_cast<uint16_t>(byte(0) << 8 | byte(1)),
                     static_cast<uint16_t>(byte(2) << 8 | byte(3))};
}

}  // namespace onvm::agent::openflow
