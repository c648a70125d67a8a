// OpenFlow 1.3 codec: bytes <-> messages.h. Decoding checks every length
// against the bytes it was given and never reads past them; a malformed
// message fails with the OpenFlow error (error.h) a switch should answer.
#ifndef ONVM_AGENT_OPENFLOW_CODEC_H_
#define ONVM_AGENT_OPENFLOW_CODEC_H_

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/openflow/buffer.h"
#include "agent/openflow/messages.h"

namespace onvm::agent::openflow {

struct Header {
  uint8_t version = 0;
  uint8_t type = 0;
  uint16_t length = 0;
  uint32_t xid = 0;
};

// The header at the start of `data`; nullopt while fewer than 8 bytes are
// there. Framing: a message is complete once `length` bytes have arrived;
// a length under 8 can never become a message (the caller closes).
std::optional<Header> PeekHeader(std::span<const uint8_t> data);

// Decodes exactly one message: `data` must be the whole message, as long as
// its header says. Messages of another version than 1.3 decode only as
// HELLO (whose version negotiation is the session's job).
absl::StatusOr<Message> Decode(std::span<const uint8_t> data);

// Encodes `message`, computing every length and padding.
std::vector<uint8_t> Encode(const Message& message);

// The parts, for the switch and the tests.
absl::StatusOr<Match> DecodeMatch(Reader* in);
void EncodeMatch(const Match& match, Writer* out);
absl::StatusOr<std::vector<Instruction>> DecodeInstructions(Reader in);
void EncodeInstructions(const std::vector<Instruction>& instructions, Writer* out);
// Width in bytes of an OPENFLOW_BASIC field's value; 0 if unknown.
size_t OxmWidth(uint8_t field);

// An ERROR message answering `request` (its first bytes, as the spec asks).
Message MakeError(uint32_t xid, uint16_t type, uint16_t code, std::span<const uint8_t> request);

}  // namespace onvm::agent::openflow

#endif  // ONVM_AGENT_OPENFLOW_CODEC_H_
