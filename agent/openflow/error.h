// OpenFlow errors carried in absl::Status: decoding and translation fail
// with a status whose payload holds the OpenFlow error type and code to
// send back (OFPT_ERROR), and whose message says why in words (logged).
#ifndef ONVM_AGENT_OPENFLOW_ERROR_H_
#define ONVM_AGENT_OPENFLOW_ERROR_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace onvm::agent::openflow {

struct OfErrorCode {
  uint16_t type = 0;
  uint16_t code = 0;
  bool operator==(const OfErrorCode&) const = default;
};

// INVALID_ARGUMENT carrying (type, code).
absl::Status OfError(uint16_t type, uint16_t code, absl::string_view why);
// The (type, code) of a status made by OfError; nullopt for any other.
std::optional<OfErrorCode> ErrorCodeOf(const absl::Status& status);

}  // namespace onvm::agent::openflow

#endif  // ONVM_AGENT_OPENFLOW_ERROR_H_
