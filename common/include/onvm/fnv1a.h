// FNV-1a, 64 bits: a hash that is the same in every process and build
// (absl::Hash is seeded per process), for names and fingerprints that are
// stored or compared across processes.
#ifndef ONVM_FNV1A_H_
#define ONVM_FNV1A_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace onvm {

inline uint64_t Fnv1a(absl::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace onvm

#endif  // ONVM_FNV1A_H_
