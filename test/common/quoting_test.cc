// What error messages quote of bad input (issue 10, item 4): a value from a
// request may be megabytes long and hold any bytes, so messages escape it
// and cut it short; and a NUL byte never ends a value early.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "onvm/match.h"
#include "onvm/names.h"

namespace onvm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(QuotingTest, OverlongNamesAreEscapedAndCut) {
  // 100 bytes of escape sequences and invalid UTF-8: too long, and unsafe.
  std::string name;
  for (int i = 0; i < 25; ++i) name += "\x1b[1m\xff";
  absl::Status s = ValidateName("metadata.name", name);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("longer than 63"));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("\x1b")));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("\xff")));
  EXPECT_THAT(std::string(s.message()), HasSubstr("\\x1b"));
}

TEST(QuotingTest, MatchErrorsQuoteEscapedAndCut) {
  onvm::v1::Match m;
  m.set_src_prefix(std::string(1 << 20, '9'));
  absl::StatusOr<CompiledMatch> c = CompileMatch(m, "spec.match");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("spec.match.srcPrefix: '999"));
  EXPECT_LT(c.status().message().size(), 200u);

  m.set_src_prefix("\x1b]0;owned\x07");
  c = CompileMatch(m, "spec.match");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), Not(HasSubstr("\x1b")));
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("\\x1b]0;owned\\x07"));

  onvm::v1::Match ports;
  ports.set_dst_ports(std::string("80\n-443", 7));
  c = CompileMatch(ports, "spec.match");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("spec.match.dstPorts: '80\\n-443'"));
}

TEST(QuotingTest, NulByteDoesNotEndAPrefixEarly) {
  for (const std::string& text : {std::string("10.0.0.1\0", 9), std::string("10.0.0.1\0junk/8", 15),
                                  std::string("2001:db8::1\0", 12), std::string("\0", 1)}) {
    absl::StatusOr<Prefix> p = ParsePrefix("spec.match.dstPrefix", text);
    EXPECT_FALSE(p.ok()) << text.size();
    if (!p.ok()) {
      EXPECT_THAT(std::string(p.status().message()), HasSubstr("spec.match.dstPrefix: '"));
      EXPECT_THAT(std::string(p.status().message()), HasSubstr("\\x00"));
    }
  }
  // The same address without the NUL is fine.
  EXPECT_TRUE(ParsePrefix("f", "10.0.0.1").ok());
}

}  // namespace
}  // namespace onvm
