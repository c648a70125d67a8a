#include "cli/kinds.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onvm::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct AliasCase {
  const char* word;
  Kind kind;
};

class KindAliasTest : public ::testing::TestWithParam<AliasCase> {};

TEST_P(KindAliasTest, Resolves) {
  absl::StatusOr<Kind> kind = ResolveKind(GetParam().word);
  ASSERT_TRUE(kind.ok()) << kind.status();
  EXPECT_EQ(*kind, GetParam().kind);
}

INSTANTIATE_TEST_SUITE_P(
    AllAliases, KindAliasTest,
    ::testing::Values(AliasCase{"service", Kind::kService}, AliasCase{"services", Kind::kService},
                      AliasCase{"svc", Kind::kService}, AliasCase{"chain", Kind::kChain},
                      AliasCase{"chains", Kind::kChain}, AliasCase{"ch", Kind::kChain},
                      AliasCase{"rule", Kind::kRule}, AliasCase{"rules", Kind::kRule},
                      AliasCase{"rl", Kind::kRule}, AliasCase{"port", Kind::kPort},
                      AliasCase{"ports", Kind::kPort}, AliasCase{"po", Kind::kPort},
                      AliasCase{"instance", Kind::kInstance},
                      AliasCase{"instances", Kind::kInstance}, AliasCase{"inst", Kind::kInstance},
                      // Case-insensitive, as in kubectl.
                      AliasCase{"Service", Kind::kService}, AliasCase{"RULES", Kind::kRule},
                      AliasCase{"Svc", Kind::kService}));

TEST(KindTest, UnknownKindsAreRejected) {
  for (const char* word : {"pods", "", "servic", "s", "chainz", "all"}) {
    absl::StatusOr<Kind> kind = ResolveKind(word);
    EXPECT_FALSE(kind.ok()) << word;
  }
  EXPECT_THAT(ResolveKind("pods").status().message(),
              HasSubstr("resource type \"pods\" (want one of "
                        "services|chains|rules|ports|instances)"));
}

TEST(KindTest, Names) {
  EXPECT_EQ(KindSingular(Kind::kInstance), "instance");
  EXPECT_EQ(KindPlural(Kind::kChain), "chains");
  EXPECT_EQ(KindTitle(Kind::kRule), "Rule");
  EXPECT_TRUE(KindIsMutable(Kind::kService));
  EXPECT_TRUE(KindIsMutable(Kind::kChain));
  EXPECT_TRUE(KindIsMutable(Kind::kRule));
  EXPECT_FALSE(KindIsMutable(Kind::kPort));
  EXPECT_FALSE(KindIsMutable(Kind::kInstance));
}

TEST(TargetsTest, KindThenNames) {
  absl::StatusOr<Targets> targets = ParseTargets({"svc", "a", "b"});
  ASSERT_TRUE(targets.ok()) << targets.status();
  EXPECT_EQ(targets->kind, Kind::kService);
  EXPECT_THAT(targets->names, ElementsAre("a", "b"));

  targets = ParseTargets({"rules"});
  ASSERT_TRUE(targets.ok()) << targets.status();
  EXPECT_EQ(targets->kind, Kind::kRule);
  EXPECT_TRUE(targets->names.empty());
}

TEST(TargetsTest, KindSlashName) {
  absl::StatusOr<Targets> targets = ParseTargets({"ch/web", "chain/db"});
  ASSERT_TRUE(targets.ok()) << targets.status();
  EXPECT_EQ(targets->kind, Kind::kChain);
  EXPECT_THAT(targets->names, ElementsAre("web", "db"));
}

TEST(TargetsTest, Rejections) {
  EXPECT_THAT(ParseTargets({}).status().message(), HasSubstr("must specify the type"));
  EXPECT_FALSE(ParseTargets({"svc/a", "ch/b"}).ok());
  EXPECT_FALSE(ParseTargets({"svc/a", "b"}).ok());
  EXPECT_FALSE(ParseTargets({"svc", "ch/b"}).ok());
  EXPECT_FALSE(ParseTargets({"svc/"}).ok());
  EXPECT_FALSE(ParseTargets({"/a"}).ok());
  EXPECT_FALSE(ParseTargets({"pods/a"}).ok());
}

}  // namespace
}  // namespace onvm::cli
