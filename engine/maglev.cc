#include "maglev.h"

#include <algorithm>

namespace onvm::engine {
namespace {

// SplitMix64's finaliser: a bijective mixer with full avalanche, so that
// small, dense inputs (instance ids 1, 2, 3 ..., slot numbers) give
// independent-looking 64-bit scores.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::shared_ptr<const MaglevTable> MaglevTable::Build(std::vector<uint32_t> instance_ids) {
  std::sort(instance_ids.begin(), instance_ids.end());
  if (instance_ids.empty() || instance_ids.size() > kMaxReplicas ||
      std::adjacent_find(instance_ids.begin(), instance_ids.end()) != instance_ids.end()) {
    return nullptr;
  }
  const size_t n = instance_ids.size();
  // Per-replica seed from the instance id only: the table is a function of
  // the id set, whatever order or snapshot position the replicas have.
  std::vector<uint64_t> seeds(n);
  for (size_t i = 0; i < n; ++i) seeds[i] = Mix(instance_ids[i]);

  auto table = std::shared_ptr<MaglevTable>(new MaglevTable());
  table->ids_ = std::move(instance_ids);
  table->entries_ = std::make_unique<uint8_t[]>(kSize);
  uint8_t* entries = table->entries_.get();
  for (uint32_t slot = 0; slot < kSize; ++slot) {
    // Highest score wins; a (2^-64 likely) tie goes to the lower id.
    uint64_t best = Mix(seeds[0] ^ slot);
    uint8_t owner = 0;
    for (size_t i = 1; i < n; ++i) {
      const uint64_t score = Mix(seeds[i] ^ slot);
      if (score > best) {
        best = score;
        owner = static_cast<uint8_t>(i);
      }
    }
    entries[slot] = owner;
  }
  return table;
}

}  // namespace onvm::engine
