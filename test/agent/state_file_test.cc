#include "agent/state_file.h"

#include <fstream>
#include <string>

#include "agent/desired_state.h"
#include "agent/state_store.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "test/agent/test_util.h"

namespace onvm::agent {
namespace {

using ::onvm::agent::testing::MakeChain;
using ::onvm::agent::testing::MakeRule;
using ::onvm::agent::testing::MakeService;
using ::onvm::agent::testing::TempDir;
using ::testing::HasSubstr;

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

// A populated state as the store produces it.
AgentState SampleState() {
  StateStore store(DesiredState{}, StateStore::Hooks{});
  EXPECT_TRUE(store.CreateService(MakeService("fw", 2)).ok());
  onvm::v1::Service mon = MakeService("mon");
  mon.mutable_spec()->mutable_launch()->set_command("onvm-nf-monitor");
  (*mon.mutable_spec()->mutable_launch()->mutable_env())["LOG"] = "1";
  EXPECT_TRUE(store.CreateService(mon).ok());
  EXPECT_TRUE(store.CreateChain(MakeChain("web", {"fw", "mon"})).ok());
  onvm::v1::Rule rule = MakeRule("web-in", "web");
  rule.mutable_spec()->mutable_match()->set_vlan_id(0);  // presence must survive
  EXPECT_TRUE(store.CreateRule(rule).ok());
  EXPECT_EQ(store.DeleteService("fw").code(), absl::StatusCode::kFailedPrecondition);
  return store.Snapshot();
}

TEST(StateFileTest, MissingFileMeansNoState) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<StateFile>> file = StateFile::Open(dir.path() + "/new/sub");
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<std::optional<AgentState>> loaded = (*file)->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_FALSE(loaded->has_value());
}

TEST(StateFileTest, SaveThenLoadRoundTrips) {
  TempDir dir;
  const AgentState saved = SampleState();
  {
    absl::StatusOr<std::unique_ptr<StateFile>> file = StateFile::Open(dir.path());
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE((*file)->Save(saved).ok());
  }
  absl::StatusOr<std::unique_ptr<StateFile>> file = StateFile::Open(dir.path());
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<std::optional<AgentState>> loaded = (*file)->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(**loaded, saved))
      << (*loaded)->DebugString() << "\nvs\n"
      << saved.DebugString();
  EXPECT_TRUE((*loaded)->rules(0).spec().match().has_vlan_id());
  // No temporary file is left behind.
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/state.json.tmp"));

  // And the store rebuilt from it carries on where it stopped.
  absl::StatusOr<DesiredState> state = FromProto(**loaded);
  ASSERT_TRUE(state.ok()) << state.status();
  StateStore store(*std::move(state), StateStore::Hooks{});
  EXPECT_EQ(store.Snapshot().DebugString(), saved.DebugString());
  EXPECT_EQ(store.CreateService(MakeService("third"))->status().id(), 3u);
}

TEST(StateFileTest, CorruptFileIsAClearError) {
  TempDir dir;
  WriteText(dir.path() + "/state.json", "{\"generation\": \"3\", \"services\": [ {");
  absl::StatusOr<std::unique_ptr<StateFile>> file = StateFile::Open(dir.path());
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<std::optional<AgentState>> loaded = (*file)->Load();
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr(dir.path() + "/state.json"));
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("corrupt"));
}

TEST(StateFileTest, UnknownFieldIsAnError) {
  TempDir dir;
  WriteText(dir.path() + "/state.json", "{\"formatVersion\": 1, \"bogus\": true}");
  absl::StatusOr<std::unique_ptr<StateFile>> file = StateFile::Open(dir.path());
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->Load().status().code(), absl::StatusCode::kDataLoss);
}

TEST(StateFileTest, SecondAgentCannotShareTheDirectory) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<StateFile>> first = StateFile::Open(dir.path());
  ASSERT_TRUE(first.ok());
  absl::StatusOr<std::unique_ptr<StateFile>> second = StateFile::Open(dir.path());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("in use"));
  first->reset();
  EXPECT_TRUE(StateFile::Open(dir.path()).ok());
}

TEST(FromProtoTest, RejectsInconsistentState) {
  const AgentState good = SampleState();
  ASSERT_TRUE(FromProto(good).ok());

  AgentState bad = good;
  bad.set_format_version(99);
  EXPECT_THAT(std::string(FromProto(bad).status().message()), HasSubstr("formatVersion 99"));

  bad = good;
  bad.mutable_services(1)->mutable_status()->set_id(bad.services(0).status().id());
  EXPECT_THAT(std::string(FromProto(bad).status().message()), HasSubstr("used twice"));

  bad = good;
  bad.mutable_services(0)->mutable_status()->set_id(0);
  EXPECT_THAT(std::string(FromProto(bad).status().message()), HasSubstr("status.id 0"));

  bad = good;
  *bad.add_chains() = bad.chains(0);
  EXPECT_THAT(std::string(FromProto(bad).status().message()), HasSubstr("listed twice"));

  bad = good;
  bad.mutable_rules(0)->mutable_spec()->mutable_action()->set_chain("gone");
  EXPECT_THAT(std::string(FromProto(bad).status().message()),
              HasSubstr("rule \"web-in\": spec.action.chain: chain 'gone' does not exist"));

  bad = good;
  bad.set_next_rule_id(ONVM_MAX_RULES + 1);
  EXPECT_THAT(std::string(FromProto(bad).status().message()), HasSubstr("nextRuleId"));
}

}  // namespace
}  // namespace onvm::agent
