// onvmctl's paging, --dry-run=server, --prune and request ids (issues 6 and
// 7), in-process against the fake agent.
#include <sstream>
#include <string>
#include <vector>

#include "cli/run.h"
#include "fake_agent.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/cli/cli_test_util.h"

namespace onvm::cli {
namespace {

using ::onvm::cli::testing::kDemoManifest;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

std::string Services(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    out += "---\napiVersion: onvm/v1\nkind: Service\nmetadata: {name: " + name +
           "}\nspec: {replicas: 1}\n";
  }
  return out;
}

class WriteVerbsTest : public ::testing::Test {
 protected:
  using Result = ::onvm::cli::testing::CliResult;

  Result Ctl(std::vector<std::string> args, const std::string& stdin_text = "") {
    args.insert(args.begin(), {"--server", agent_.address()});
    return ::onvm::cli::testing::RunOnvmctl(std::move(args), nullptr, stdin_text);
  }

  testing::FakeAgent agent_;
};

TEST_F(WriteVerbsTest, GetFollowsEveryPage) {
  ASSERT_EQ(Ctl({"apply", "-f", "-"}, Services({"e", "c", "a", "d", "b"})).code, 0);
  agent_.state().max_page_size = 2;
  const int calls = agent_.state().list_calls;
  Result r = Ctl({"get", "services", "-o", "name"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "service/a\nservice/b\nservice/c\nservice/d\nservice/e\n");
  EXPECT_EQ(agent_.state().list_calls - calls, 3);  // 2 + 2 + 1
}

TEST_F(WriteVerbsTest, ApplyServerDryRunChangesNothing) {
  ASSERT_EQ(Ctl({"apply", "-f", "-"}, Services({"keep"})).code, 0);
  Result r = Ctl({"apply", "-f", kDemoManifest, "--dry-run=server"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "service/fwd created (server dry run)\nchain/demo created (server dry run)\n"
            "rule/demo-in created (server dry run)\n");
  EXPECT_TRUE(agent_.state().last_apply.validate_only());
  EXPECT_EQ(Ctl({"get", "services", "-o", "name"}).out, "service/keep\n");
  // --dry-run=none is a real apply.
  r = Ctl({"apply", "-f", kDemoManifest, "--dry-run", "none"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(agent_.state().last_apply.validate_only());
  EXPECT_EQ(r.out, "service/fwd created\nchain/demo created\nrule/demo-in created\n");
}

TEST_F(WriteVerbsTest, DryRunOtherThanServerIsAUsageError) {
  Result r = Ctl({"apply", "-f", kDemoManifest, "--dry-run=client"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--dry-run=client is not supported"));
  r = Ctl({"delete", "rule", "x", "--dry-run=maybe"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("invalid value \"maybe\" for --dry-run"));
  r = Ctl({"get", "services", "--dry-run=server"});
  EXPECT_EQ(r.code, 2);
  r = Ctl({"delete", "rule", "x", "--prune"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(agent_.state().apply_calls, 0);
  EXPECT_TRUE(agent_.state().request_ids.empty());
}

TEST_F(WriteVerbsTest, PruneDeletesWhatTheFilesLack) {
  ASSERT_EQ(Ctl({"apply", "-f", "-"}, Services({"old", "fwd"})).code, 0);
  // The dry run reports the prune and keeps "old".
  Result r = Ctl({"apply", "-f", "-", "--prune", "--dry-run=server"}, Services({"fwd", "new"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("service/old pruned (server dry run)\n"));
  EXPECT_EQ(Ctl({"get", "services", "-o", "name"}).out, "service/fwd\nservice/old\n");

  r = Ctl({"apply", "-f", "-", "--prune"}, Services({"fwd", "new"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "service/fwd unchanged\nservice/new created\nservice/old pruned\n");
  EXPECT_TRUE(agent_.state().last_apply.prune());
  EXPECT_EQ(Ctl({"get", "services", "-o", "name"}).out, "service/fwd\nservice/new\n");
}

TEST_F(WriteVerbsTest, LostAnswerIsRetriedWithTheSameRequestId) {
  agent_.state().apply_answers_lost = 1;
  Result r = Ctl({"apply", "-f", kDemoManifest});
  ASSERT_EQ(r.code, 0) << r.err;
  // The first attempt created everything; the retry got that answer, not
  // "unchanged".
  EXPECT_EQ(r.out, "service/fwd created\nchain/demo created\nrule/demo-in created\n");
  EXPECT_EQ(agent_.state().apply_calls, 2);
  const std::vector<std::string>& ids = agent_.state().request_ids;
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], ids[1]);
  EXPECT_THAT(ids[0], MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                   "[0-9a-f]{12}-[0-9]+"));

  // Another run, another id.
  ASSERT_EQ(Ctl({"apply", "-f", kDemoManifest}).code, 0);
  EXPECT_NE(agent_.state().request_ids.back(), ids[0]);
}

TEST_F(WriteVerbsTest, DeleteServerDryRunChecksButKeeps) {
  ASSERT_EQ(Ctl({"apply", "-f", kDemoManifest}).code, 0);
  ASSERT_EQ(Ctl({"apply", "-f", "-"}, Services({"a", "b"})).code, 0);
  Result r = Ctl({"delete", "svc", "a", "b", "--dry-run=server"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "service/a deleted (server dry run)\nservice/b deleted (server dry run)\n");
  EXPECT_THAT(agent_.state().dry_deleted, ElementsAre("service/a", "service/b"));
  EXPECT_TRUE(agent_.state().deleted.empty());
  // One request id per request, all different.
  const std::vector<std::string>& ids = agent_.state().request_ids;
  ASSERT_EQ(ids.size(), 4u);  // two applies, two deletes
  EXPECT_NE(ids[2], ids[3]);
  EXPECT_FALSE(ids[2].empty());

  // Checked as for real: the chain is still in use by the rule (each delete
  // of a dry run is checked against the state as it is).
  r = Ctl({"delete", "chain", "demo", "--dry-run=server"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("(Conflict): chain \"demo\" is used by rule \"demo-in\""));
  r = Ctl({"delete", "rule", "nosuch", "--dry-run=server"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("(NotFound)"));
  EXPECT_EQ(Ctl({"get", "services", "-o", "name"}).out, "service/a\nservice/b\nservice/fwd\n");
}

}  // namespace
}  // namespace onvm::cli
