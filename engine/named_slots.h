// Name-keyed slots of one stats array (chains, rules), kept across
// configuration changes so that a resource's counters stay monotonic while
// it exists. A name new in the next config takes a slot that no name of the
// running config holds: the worker may still write the running config's
// slots until the next snapshot is published, so they are released only
// after that (Commit). Owned by the control thread.
#ifndef ONVM_ENGINE_NAMED_SLOTS_H_
#define ONVM_ENGINE_NAMED_SLOTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace onvm::engine {

class NamedSlots {
 public:
  struct Plan {
    absl::flat_hash_map<std::string, uint32_t> slots;       // every name of the next config
    std::vector<std::pair<uint32_t, std::string>> claimed;  // slots new names take
    std::vector<uint32_t> released;  // slots of names that are gone once published
  };

  // `kind` names the resource in errors ("rules", "chains").
  NamedSlots(std::string kind, uint32_t capacity) : kind_(std::move(kind)), used_(capacity) {}

  // Slots for `names` (distinct). Changes nothing; RESOURCE_EXHAUSTED if no
  // free slot is left for a new name.
  absl::StatusOr<Plan> Prepare(const std::vector<std::string>& names) const;
  // Makes `plan` the current assignment. Call once the snapshot using it is
  // published and the previous one retired.
  void Commit(const Plan& plan);

 private:
  std::string kind_;
  std::vector<bool> used_;
  absl::flat_hash_map<std::string, uint32_t> current_;
};

}  // namespace onvm::engine

#endif  // ONVM_ENGINE_NAMED_SLOTS_H_
