// Routing snapshots: rules compiled in priority-then-name order into the
// classifier, compiled rules and replica tables reused across snapshots
// when what they depend on is unchanged.
#include <algorithm>
#include <string>
#include <vector>

#include "classifier.h"
#include "gtest/gtest.h"
#include "harness/packets.h"
#include "onvm/packet_key.h"
#include "routing_config.h"

namespace onvm::engine {
namespace {

using ::onvm::testing::Frame;
using ::onvm::testing::PacketBuilder;

const std::vector<PortEntry>& Ports() {
  static const std::vector<PortEntry>* ports =
      new std::vector<PortEntry>{{"wan", 0, nullptr}, {"lan", 1, nullptr}};
  return *ports;
}

void AddService(onvm::engine::v1::SetConfig* c, const std::string& name, uint32_t id) {
  auto* s = c->add_services();
  s->mutable_metadata()->set_name(name);
  s->mutable_status()->set_id(id);
}

void AddChain(onvm::engine::v1::SetConfig* c, const std::string& name, uint32_t id,
              const std::string& service) {
  auto* ch = c->add_chains();
  ch->mutable_metadata()->set_name(name);
  ch->mutable_status()->set_id(id);
  ch->mutable_spec()->add_services(service);
  ch->mutable_spec()->mutable_then()->set_out("lan");
}

onvm::v1::Rule* AddRule(onvm::engine::v1::SetConfig* c, const std::string& name,
                        uint32_t priority) {
  auto* r = c->add_rules();
  r->mutable_metadata()->set_name(name);
  r->mutable_spec()->set_priority(priority);
  r->mutable_spec()->mutable_action()->set_chain("web");
  return r;
}

onvm::engine::v1::SetConfig BaseConfig() {
  onvm::engine::v1::SetConfig c;
  c.set_generation(1);
  AddService(&c, "fw", 3);
  AddService(&c, "mon", 5);
  AddChain(&c, "web", 2, "fw");
  return c;
}

uint32_t ClassifyFrame(const RuleTable& t, const Frame& f, uint16_t in_port) {
  PacketKey key;
  ParsePacket(f.data(), f.size(), &key);
  AclKey acl;
  MakeAclKey(key, in_port, &acl);
  uint32_t rule = 0;
  t.classifier.Classify(in_port, &acl, 1, &rule);
  return rule;
}

TEST(SnapshotTest, RulesAreOrderedByPriorityThenName) {
  onvm::engine::v1::SetConfig c = BaseConfig();
  AddRule(&c, "b-tcp", 10)->mutable_spec()->mutable_match()->set_ip_proto("tcp");
  AddRule(&c, "a-any", 10);  // same priority: "a-any" sorts first and wins
  auto* high = AddRule(&c, "z-web", 100)->mutable_spec();
  high->mutable_match()->set_ip_proto("tcp");
  high->mutable_match()->set_dst_ports("80");
  high->mutable_match()->set_in_port("lan");
  high->mutable_action()->set_drop(true);
  ASSERT_TRUE(ValidateConfig(c, Ports()).ok()) << ValidateConfig(c, Ports());
  auto table = BuildRuleTable(c, Ports());
  ASSERT_TRUE(table.ok()) << table.status();
  const RuleTable& t = **table;
  ASSERT_EQ(t.rules.size(), 3u);
  EXPECT_EQ(t.rules[0].action, RuleAction::kDrop);
  EXPECT_EQ(t.rules[0].in_port, 1);
  EXPECT_EQ(t.rules[1].match.ip_proto, -1);  // a-any
  EXPECT_EQ(t.rules[1].action, RuleAction::kChain);
  EXPECT_EQ(t.rules[1].target, 2);
  const Frame web = PacketBuilder().Ipv4("10.0.0.1", "10.0.0.2").Tcp(5555, 80).Build();
  EXPECT_EQ(ClassifyFrame(t, web, 1), 0u);
  EXPECT_EQ(ClassifyFrame(t, web, 0), 1u);
  EXPECT_EQ(t.classifier.rule_count(), 3u);
}

TEST(SnapshotTest, SameRulesIgnoresEverythingButRulesAndChainIds) {
  onvm::engine::v1::SetConfig a = BaseConfig();
  AddRule(&a, "r1", 10)->mutable_spec()->mutable_match()->set_ip_proto("udp");
  onvm::engine::v1::SetConfig b = a;
  b.set_generation(2);
  AddService(&b, "extra", 9);
  b.mutable_rules(0)->mutable_metadata()->set_generation(7);
  EXPECT_TRUE(SameRules(a, b));
  b.mutable_rules(0)->mutable_spec()->set_priority(11);
  EXPECT_FALSE(SameRules(a, b));
  b = a;
  b.mutable_chains(0)->mutable_status()->set_id(4);
  EXPECT_FALSE(SameRules(a, b));
  b = a;
  b.mutable_rules(0)->mutable_metadata()->set_name("r2");
  EXPECT_FALSE(SameRules(a, b));
}

RunningInstance Instance(const std::string& service, uint32_t id) {
  return {service, InstanceRoute{id, nullptr, nullptr, nullptr, 0, false, nullptr}};
}

TEST(SnapshotTest, ReplicaTablesFollowTheReplicaSet) {
  const onvm::engine::v1::SetConfig c = BaseConfig();
  auto rules = BuildRuleTable(c, Ports());
  ASSERT_TRUE(rules.ok());
  // Instances in slot order, services interleaved.
  const std::vector<RunningInstance> v1 = {Instance("fw", 4), Instance("mon", 2), Instance("fw", 1),
                                           Instance("fw", 9)};
  auto s1 = BuildSnapshot(c, Ports(), v1, *rules, nullptr);
  ASSERT_EQ(s1->services.size(), 6u);
  const ServiceRoute& fw = s1->services[3];
  ASSERT_NE(fw.table, nullptr);
  EXPECT_EQ(fw.table->ids(), (std::vector<uint32_t>{1, 4, 9}));
  ASSERT_EQ(fw.instances.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(s1->instances[fw.instances[i]].instance_id, fw.table->ids()[i]);
  }
  EXPECT_EQ(s1->services[1].table, nullptr);  // no such service
  EXPECT_EQ(s1->services[5].table->ids(), (std::vector<uint32_t>{2}));
  EXPECT_EQ(s1->rules, *rules);

  // mon loses its replica: fw's table is reused even though the instance
  // positions shift; mon has none.
  const std::vector<RunningInstance> v2 = {Instance("fw", 4), Instance("fw", 1), Instance("fw", 9)};
  auto s2 = BuildSnapshot(c, Ports(), v2, *rules, s1.get());
  EXPECT_EQ(s2->services[3].table, fw.table);
  EXPECT_EQ(s2->services[5].table, nullptr);
  EXPECT_TRUE(s2->services[5].instances.empty());
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(s2->instances[s2->services[3].instances[i]].instance_id, fw.table->ids()[i]);
  }

  // fw scales up: a new table, same answers for flows that stay.
  std::vector<RunningInstance> v3 = v2;
  v3.push_back(Instance("fw", 12));
  auto s3 = BuildSnapshot(c, Ports(), v3, *rules, s2.get());
  ASSERT_NE(s3->services[3].table, nullptr);
  EXPECT_NE(s3->services[3].table, fw.table);
  EXPECT_EQ(s3->services[3].table->ids(), (std::vector<uint32_t>{1, 4, 9, 12}));
}

}  // namespace
}  // namespace onvm::engine
