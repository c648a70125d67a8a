#include "cli/args.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onvm::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ArgsTest, VerbArgsAndFlagsInAnyOrder) {
  absl::StatusOr<Invocation> inv =
      ParseArgs({"--server", "unix:/run/a.sock", "get", "svc", "-o", "yaml", "fw"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->verb, "get");
  EXPECT_THAT(inv->args, ElementsAre("svc", "fw"));
  EXPECT_EQ(inv->server, "unix:/run/a.sock");
  EXPECT_EQ(inv->output, "yaml");
  EXPECT_FALSE(inv->help);
}

TEST(ArgsTest, FlagValueForms) {
  for (const std::vector<std::string>& argv :
       std::vector<std::vector<std::string>>{{"get", "-o", "json"},
                                             {"get", "-ojson"},
                                             {"get", "-o=json"},
                                             {"get", "--output", "json"},
                                             {"get", "--output=json"}}) {
    absl::StatusOr<Invocation> inv = ParseArgs(argv);
    ASSERT_TRUE(inv.ok()) << inv.status();
    EXPECT_EQ(inv->output, "json") << argv.back();
  }
}

TEST(ArgsTest, RepeatedFilesAndStdin) {
  absl::StatusOr<Invocation> inv =
      ParseArgs({"apply", "-f", "a.yaml", "--filename=dir", "-f", "-"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_THAT(inv->files, ElementsAre("a.yaml", "dir", "-"));
  EXPECT_TRUE(inv->args.empty());
  EXPECT_EQ(inv->flags_seen.count("filename"), 1u);
}

TEST(ArgsTest, BooleanFlags) {
  absl::StatusOr<Invocation> inv = ParseArgs({"delete", "--ignore-not-found", "svc", "x", "-h"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_TRUE(inv->ignore_not_found);
  EXPECT_TRUE(inv->help);
  inv = ParseArgs({"delete", "--ignore-not-found=false"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_FALSE(inv->ignore_not_found);
  EXPECT_FALSE(ParseArgs({"delete", "--ignore-not-found=maybe"}).ok());
}

TEST(ArgsTest, DoubleDashEndsFlags) {
  absl::StatusOr<Invocation> inv = ParseArgs({"get", "svc", "--", "-odd-name"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_THAT(inv->args, ElementsAre("svc", "-odd-name"));
  EXPECT_TRUE(inv->output.empty());
}

TEST(ArgsTest, NoVerb) {
  absl::StatusOr<Invocation> inv = ParseArgs({});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_TRUE(inv->verb.empty());
}

TEST(ArgsTest, UsageErrors) {
  EXPECT_THAT(ParseArgs({"get", "--bogus"}).status().message(), HasSubstr("unknown flag: --bogus"));
  EXPECT_THAT(ParseArgs({"get", "-x"}).status().message(), HasSubstr("unknown flag: -x"));
  EXPECT_THAT(ParseArgs({"get", "svc", "-o"}).status().message(),
              HasSubstr("flag needs an argument: -o"));
  EXPECT_THAT(ParseArgs({"--server"}).status().message(),
              HasSubstr("flag needs an argument: --server"));
  EXPECT_FALSE(ParseArgs({"-hx"}).ok());
}

TEST(ArgsTest, CheckFlagsAllowsGlobalFlagsOnly) {
  absl::StatusOr<Invocation> inv = ParseArgs({"apply", "-s", "x:1", "-f", "a", "-o", "json"});
  ASSERT_TRUE(inv.ok());
  EXPECT_TRUE(CheckFlags(*inv, {"filename", "output"}).ok());
  absl::Status status = CheckFlags(*inv, {"filename"});
  EXPECT_THAT(status.message(), HasSubstr("flag --output is not supported by \"apply\""));
}

}  // namespace
}  // namespace onvm::cli
