#include "agent/reconciler.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/log.h"

namespace onvm::agent {

Reconciler::Reconciler(EngineLink* link, StateStore* store, PassObserver on_pass)
    : link_(link), store_(store), on_pass_(std::move(on_pass)) {}

Reconciler::~Reconciler() { Stop(); }

void Reconciler::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Reconciler::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void Reconciler::Run() {
  for (;;) {
    Tick();
    absl::MutexLock lock(&mu_);
    // Waits out the interval, waking early when Stop() is called.
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), kInterval);
    if (stopping_) return;
  }
}

void Reconciler::Tick() {
  Pass();
  if (on_pass_) {
    const bool connected = link_->connected();
    on_pass_(connected, connected && !link_->NeedsSync(store_->generation()));
  }
}

void Reconciler::Pass() {
  if (!link_->connected()) {
    if (!link_->Connect().ok()) return;  // Connect logs the reason
  } else if (!link_->Refresh().ok()) {
    return;
  }
  // Cheap check first; it is repeated under the commit lock because a
  // change may push in between.
  if (!link_->NeedsSync(store_->generation())) return;
  store_->WithCommitLock([this](const AgentState& desired) { Sync(desired); });
}

void Reconciler::Sync(const AgentState& desired) {
  if (!link_->NeedsSync(desired.generation())) return;
  const std::optional<onvm::engine::v1::EngineState> engine = link_->current_state();
  const std::string boot_id = engine.has_value() ? engine->boot_id() : std::string();
  if (boot_id == refused_boot_id_ && desired.generation() == refused_generation_ &&
      absl::Now() - refused_at_ < kRefusalBackoff) {
    return;
  }
  const EngineLink::PushResult result = link_->Push(desired);
  switch (result.outcome) {
    case EngineLink::PushOutcome::kApplied:
      refused_at_ = absl::InfinitePast();
      LogInfo(absl::StrCat("engine \"", link_->engine_name(), "\" (boot id ", boot_id,
                           ") now runs desired generation ", desired.generation(), " (",
                           desired.services_size(), " services, ", desired.chains_size(),
                           " chains, ", desired.rules_size(), " rules)"));
      break;
    case EngineLink::PushOutcome::kRejected:
      if (absl::Now() - refused_at_ >= kRefusalBackoff || boot_id != refused_boot_id_ ||
          desired.generation() != refused_generation_) {
        LogError(absl::StrCat("cannot apply desired generation ", desired.generation(), ": ",
                              result.status.message()));
      }
      refused_boot_id_ = boot_id;
      refused_generation_ = desired.generation();
      refused_at_ = absl::Now();
      break;
    case EngineLink::PushOutcome::kNotDelivered:
      break;  // the link logged it and reconnects on the next tick
  }
}

}  // namespace onvm::agent
