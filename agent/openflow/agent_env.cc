#include "agent/openflow/agent_env.h"

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "onvm/fnv1a.h"

namespace onvm::agent::openflow {
namespace {

std::array<uint8_t, 6> ParseMac(const std::string& text) {
  std::array<uint8_t, 6> mac = {};
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  if (parts.size() != mac.size()) return mac;
  for (size_t i = 0; i < mac.size(); ++i) {
    uint32_t v = 0;
    if (!absl::SimpleHexAtoi(parts[i], &v) || v > 0xff) return {};
    mac[i] = static_cast<uint8_t>(v);
  }
  return mac;
}

// The engine's ports as last seen.
class PortCache {
 public:
  explicit PortCache(const EngineLink* link) : link_(link) {}
  std::vector<EnginePort> Get() {
    std::optional<onvm::engine::v1::EngineState> state = link_->current_state();
    absl::MutexLock lock(&mu_);
    if (!state.has_value()) {
      // The engine is away: its ports are down, not gone.
      std::vector<EnginePort> down = last_;
      for (EnginePort& p : down) p.link_up = false;
      return down;
    }
    last_.clear();
    for (const auto& info : state->ports()) {
      EnginePort p;
      p.name = info.name();
      p.port_id = info.port_id();
      p.mac = ParseMac(info.mac());
      p.link_up = info.link_up();
      p.speed_mbps = info.speed_mbps();
      last_.push_back(std::move(p));
    }
    return last_;
  }

 private:
  const EngineLink* const link_;
  absl::Mutex mu_;
  std::vector<EnginePort> last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

SwitchEnv MakeAgentSwitchEnv(StateStore* store, const EngineLink* link, StatsSource* stats) {
  SwitchEnv env;
  env.store = store;
  auto cache = std::make_shared<PortCache>(link);
  env.ports = [cache] { return cache->Get(); };
  env.port_stats = [stats] {
    const std::shared_ptr<const StatsReader> reader = stats->Get();
    return reader == nullptr ? std::vector<::onvm::PortStats>() : reader->ports();
  };
  env.rule_stats = [stats] {
    const std::shared_ptr<const StatsReader> reader = stats->Get();
    return reader == nullptr ? std::vector<::onvm::RuleStats>() : reader->rules();
  };
  // 48 bits, like a MAC-derived datapath id; never 0.
  env.datapath_id = (Fnv1a(link->engine_name()) & 0xffffffffffffull) | 1;
  env.dp_desc = absl::StrCat("onvm engine ", link->engine_name());
  return env;
}

}  // namespace onvm::agent::openflow
