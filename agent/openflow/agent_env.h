// Wires the OpenFlow switch to the running agent: ports from the engine
// link (kept while the engine is away, so flows keep their port numbers),
// counters from the stats segment, flows in the store.
#ifndef ONVM_AGENT_OPENFLOW_AGENT_ENV_H_
#define ONVM_AGENT_OPENFLOW_AGENT_ENV_H_

#include <string>

#include "agent/engine_link.h"
#include "agent/openflow/switch.h"
#include "agent/state_store.h"
#include "agent/stats_source.h"

namespace onvm::agent::openflow {

// All three must outlive the switch. The datapath id is a hash of the
// engine's name: stable across restarts of either process.
SwitchEnv MakeAgentSwitchEnv(StateStore* store, const EngineLink* link, StatsSource* stats);

}  // namespace onvm::agent::openflow

#endif  // ONVM_AGENT_OPENFLOW_AGENT_ENV_H_
