#include "onvm/names.h"

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onvm {
namespace {

using ::testing::HasSubstr;

TEST(ValidateNameTest, AcceptsDnsLabels) {
  for (const std::string& name : std::vector<std::string>{"a", "0", "fw", "web-in", "a-b-c", "0abc",
                                                          "abc0", "x1-2y", std::string(63, 'a')}) {
    EXPECT_TRUE(ValidateName("metadata.name", name).ok()) << name;
  }
}

TEST(ValidateNameTest, RejectsOthers) {
  struct Case {
    std::string value;
    std::string why;
  };
  for (const Case& c :
       {Case{"", "must not be empty"}, Case{std::string(64, 'a'), "longer than 63"},
        Case{"Fw", "not a DNS label"}, Case{"f_w", "not a DNS label"},
        Case{"f.w", "not a DNS label"}, Case{"f w", "not a DNS label"},
        Case{"fw\n", "not a DNS label"}, Case{std::string("f\0w", 3), "not a DNS label"},
        Case{"caf\xc3\xa9", "not a DNS label"}, Case{"-fw", "start and end"},
        Case{"fw-", "start and end"}, Case{"-", "start and end"}}) {
    absl::Status s = ValidateName("spec.services[1]", c.value);
    ASSERT_FALSE(s.ok()) << c.value;
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.message()), HasSubstr("spec.services[1]: "));
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.why)) << s;
  }
}

TEST(ValidateNameTest, ErrorsAreSafeToPrint) {
  // Control bytes are escaped, and an overlong name is cut.
  absl::Status s = ValidateName("f", std::string("a\x01\x1b[31m", 7));
  EXPECT_THAT(std::string(s.message()), ::testing::Not(HasSubstr("\x1b")));
  s = ValidateName("f", std::string(10000, 'a'));
  EXPECT_LT(s.message().size(), 200u);
}

class PathsForEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* v = std::getenv("ONVM_RUN_DIR")) saved_ = v;
    ::unsetenv("ONVM_RUN_DIR");
  }
  void TearDown() override {
    if (saved_) {
      ::setenv("ONVM_RUN_DIR", saved_->c_str(), 1);
    } else {
      ::unsetenv("ONVM_RUN_DIR");
    }
  }
  std::optional<std::string> saved_;
};

TEST_F(PathsForEngineTest, Defaults) {
  const EnginePaths p = PathsForEngine("edge1");
  EXPECT_EQ(p.run_dir, "/run/onvm");
  EXPECT_EQ(p.control_socket, "/run/onvm/edge1.sock");
  EXPECT_EQ(p.stats_shm, "/onvm-edge1.stats");
  EXPECT_EQ(p.stats_path, "/dev/shm/onvm-edge1.stats");
  EXPECT_EQ(p.file_prefix, "onvm-edge1");
}

TEST_F(PathsForEngineTest, RunDirFromEnvironment) {
  ::setenv("ONVM_RUN_DIR", "/tmp/onvm-x", 1);
  EnginePaths p = PathsForEngine("e");
  EXPECT_EQ(p.run_dir, "/tmp/onvm-x");
  EXPECT_EQ(p.control_socket, "/tmp/onvm-x/e.sock");
  EXPECT_EQ(p.stats_path, "/dev/shm/onvm-e.stats");  // not affected
  ::setenv("ONVM_RUN_DIR", "", 1);
  EXPECT_EQ(PathsForEngine("e").run_dir, "/run/onvm");
}

}  // namespace
}  // namespace onvm

namespace onvm {
namespace {

TEST(ValidateCounterNameTest, AcceptsPrometheusStyleNames) {
  for (const char* ok : {"packets", "tcp_bytes", "_x", "a1", "abcdefghijklmnopqrstuvwxyz01234"}) {
    EXPECT_TRUE(ValidateCounterName("counter", ok).ok()) << ok;
  }
}

TEST(ValidateCounterNameTest, RejectsOthersNamingTheField) {
  for (const char* bad :
       {"", "1st", "Tcp", "tcp-bytes", "tcp bytes", "abcdefghijklmnopqrstuvwxyz012345", "é"}) {
    absl::Status s = ValidateCounterName("counters[3]", bad);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << bad;
    EXPECT_EQ(s.message().rfind("counters[3]: ", 0), 0u) << s.message();
  }
}

}  // namespace
}  // namespace onvm
