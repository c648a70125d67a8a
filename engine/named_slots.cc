#include "named_slots.h"

#include "absl/strings/str_cat.h"

namespace onvm::engine {

absl::StatusOr<NamedSlots::Plan> NamedSlots::Prepare(const std::vector<std::string>& names) const {
  Plan plan;
  plan.slots.reserve(names.size());
  uint32_t next_free = 0;
  for (const std::string& name : names) {
    if (auto it = current_.find(name); it != current_.end()) {
      plan.slots.emplace(name, it->second);
      continue;
    }
    while (next_free < used_.size() && used_[next_free]) ++next_free;
    if (next_free == used_.size()) {
      return absl::ResourceExhaustedError(
          absl::StrCat("no free stats slot for another of the ", names.size(), " ", kind_, " (",
                       used_.size(), " slots; a config may hold ", used_.size() / 2, ")"));
    }
    plan.slots.emplace(name, next_free);
    plan.claimed.emplace_back(next_free, name);
    ++next_free;
  }
  for (const auto& [name, slot] : current_) {
    if (!plan.slots.contains(name)) plan.released.push_back(slot);
  }
  return plan;
}

void NamedSlots::Commit(const Plan& plan) {
  for (uint32_t slot : plan.released) used_[slot] = false;
  for (const auto& [slot, name] : plan.claimed) used_[slot] = true;
  current_ = plan.slots;
}

}  // namespace onvm::engine
