// The default (`get`) and `-o wide` table of each resource kind.
#ifndef ONVM_CLI_TABLES_H_
#define ONVM_CLI_TABLES_H_

#include <string>
#include <vector>

#include "cli/table.h"
#include "onvm/v1/chain.pb.h"
#include "onvm/v1/instance.pb.h"
#include "onvm/v1/port.pb.h"
#include "onvm/v1/rule.pb.h"
#include "onvm/v1/service.pb.h"

namespace onvm::cli {

Table MakeTable(const std::vector<v1::Service>& items, bool wide);
Table MakeTable(const std::vector<v1::Chain>& items, bool wide);
Table MakeTable(const std::vector<v1::Rule>& items, bool wide);
Table MakeTable(const std::vector<v1::Port>& items, bool wide);
Table MakeTable(const std::vector<v1::Instance>& items, bool wide);

// "inPort=wan,ipProto=tcp,dstPorts=80-443", or "*" when the rule matches
// every packet.
std::string MatchSummary(const v1::Match& match);

// "chain:web", "out:lan", "drop", or "<none>".
std::string ActionSummary(const v1::RuleAction& action);

// "out:lan", "drop", or "<none>".
std::string ChainEndSummary(const v1::ChainEnd& end);

}  // namespace onvm::cli

#endif  // ONVM_CLI_TABLES_H_
