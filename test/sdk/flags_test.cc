#include "flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace onvm::examples {
namespace {

using ::testing::HasSubstr;

TEST(SplitFlagsTest, TakesBothFormsInOrder) {
  const std::vector<std::string> args = {"--a", "1", "--b=x=y", "--a", "--c"};
  auto flags = SplitFlags(args, {"--a", "--b"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  ASSERT_EQ(flags->size(), 3u);
  EXPECT_EQ((*flags)[0].name, "--a");
  EXPECT_EQ((*flags)[0].value, "1");
  EXPECT_EQ((*flags)[1].name, "--b");
  EXPECT_EQ((*flags)[1].value, "x=y");
  EXPECT_EQ((*flags)[2].value, "--c");  // a value may look like a flag
}

TEST(SplitFlagsTest, RejectsUnknownAndMissingValues) {
  const std::vector<std::string> unknown = {"--a", "1", "stray"};
  EXPECT_THAT(std::string(SplitFlags(unknown, {"--a"}).status().message()),
              HasSubstr("unknown argument \"stray\""));
  const std::vector<std::string> missing = {"--a"};
  EXPECT_THAT(std::string(SplitFlags(missing, {"--a"}).status().message()),
              HasSubstr("--a needs a value"));
}

TEST(ParseFlagNumberTest, Bounds) {
  EXPECT_EQ(ParseFlagNumber({"--n", "7"}, 1, 10).value_or(0), 7u);
  EXPECT_FALSE(ParseFlagNumber({"--n", "0"}, 1, 10).ok());
  EXPECT_FALSE(ParseFlagNumber({"--n", "11"}, 1, 10).ok());
  EXPECT_FALSE(ParseFlagNumber({"--n", "-1"}, 0, 10).ok());
  EXPECT_FALSE(ParseFlagNumber({"--n", ""}, 0, 10).ok());
  EXPECT_THAT(std::string(ParseFlagNumber({"--n", "x"}, 1, 10).status().message()),
              HasSubstr("--n: 'x' is not a number 1..10"));
}

TEST(ParseIpv4Test, NetworkOrder) {
  auto ip = ParseIpv4("--ip", "192.0.2.1");
  ASSERT_TRUE(ip.ok());
  const auto* b = reinterpret_cast<const uint8_t*>(&*ip);
  EXPECT_EQ(b[0], 192);
  EXPECT_EQ(b[3], 1);
  EXPECT_FALSE(ParseIpv4("--ip", "192.0.2").ok());
  EXPECT_FALSE(ParseIpv4("--ip", "2001:db8::1").ok());
}

}  // namespace
}  // namespace onvm::examples
