// Malformed manifests (issue 10, item 4), beyond the shape errors of
// manifest_test.cc: bytes that are not UTF-8, NUL bytes, binary garbage,
// numbers out of every field's range, YAML alias bombs and deep nesting,
// huge and endless files, and tens of thousands of documents. Each gives
// an error naming the file, the document and the field, promptly, and never
// a crash.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "cli/manifest.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/cli/cli_test_util.h"

namespace onvm::cli {
namespace {

using ::testing::HasSubstr;

std::string BadError(absl::string_view content) {
  return ::onvm::cli::testing::ManifestError(content, "bad.yaml");
}

std::string Service(absl::string_view name, absl::string_view spec = "{}") {
  return absl::StrCat("apiVersion: onvm/v1\nkind: Service\nmetadata: {name: ", name,
                      "}\nspec: ", spec, "\n");
}
std::string Rule(absl::string_view spec) {
  return absl::StrCat("apiVersion: onvm/v1\nkind: Rule\nmetadata: {name: r}\nspec: ", spec, "\n");
}

TEST(ManifestBadInputTest, BytesThatAreNotUtf8AreRefusedNamingTheField) {
  EXPECT_EQ(BadError(Service("fw", "{launch: {command: \"nf\xff\xfe\"}}")),
            "bad.yaml: document 1 (Service \"fw\"): spec.launch.command: \"nf\\xff\\xfe\" is "
            "not valid UTF-8 text");
  EXPECT_THAT(BadError(Service("fw", "{launch: {command: nf, args: [ok, \"\xc3\x28\"]}}")),
              HasSubstr("spec.launch.args[1]: \"\\xc3(\" is not valid UTF-8"));
  EXPECT_THAT(BadError(Service("fw", "{launch: {command: nf, env: {\"K\xff\": v}}}")),
              HasSubstr("spec.launch.env.\"K\\xff\": \"K\\xff\" is not valid UTF-8"));
  EXPECT_THAT(
      BadError(Service("fw", "{launch: {command: nf, env: {K: \"v\xf8\x88\x80\x80\x80\"}}}")),
      HasSubstr("spec.launch.env.K: "));
  // A surrogate, an overlong '/', a code point past U+10FFFF, a cut sequence.
  for (const char* bad : {"\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\xe2\x82"}) {
    EXPECT_THAT(BadError(Rule(absl::StrCat("{match: {srcPrefix: \"10.0.0.0/8", bad,
                                           "\"}, action: {drop: true}}"))),
                HasSubstr("spec.match.srcPrefix: "))
        << bad;
  }
  // Valid UTF-8 beyond ASCII passes the parser (the server judges the value).
  EXPECT_TRUE(ParseManifests(Service("fw", "{launch: {command: \"caf\xc3\xa9 \xf0\x9f\x98\x80\"}}"),
                             "ok.yaml")
                  .ok());
  // In a name: the name check names it first.
  EXPECT_THAT(BadError(Service("\"fw\xff\"")), HasSubstr("metadata.name"));
  // A lone invalid byte in a key.
  EXPECT_THAT(BadError("apiVersion: onvm/v1\nkind: Service\nmetadata: {name: fw}\n\xff: 1\n"),
              HasSubstr("bad.yaml"));
}

TEST(ManifestBadInputTest, NulBytesAndBinaryGarbageAreRefused) {
  EXPECT_THAT(BadError(std::string("apiVersion: onvm/v1\nkind: Ser\0vice\n", 36)),
              HasSubstr("bad.yaml"));
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 7919) & 0xff));
  EXPECT_THAT(BadError(garbage), HasSubstr("bad.yaml"));
  EXPECT_THAT(BadError(std::string(10000, '\0')), HasSubstr("bad.yaml"));
}

TEST(ManifestBadInputTest, NumbersOutOfEveryFieldsRangeNameTheField) {
  EXPECT_THAT(BadError(Service("fw", "{replicas: 4294967296}")),
              HasSubstr("spec.replicas: expected an integer from 0 to 4294967295"));
  EXPECT_THAT(BadError(Service("fw", "{replicas: 1e100}")), HasSubstr("spec.replicas"));
  EXPECT_THAT(BadError(Service("fw", "{replicas: 1.5}")), HasSubstr("spec.replicas"));
  EXPECT_THAT(BadError(Service("fw", "{replicas: 0x10}")), HasSubstr("spec.replicas"));
  EXPECT_THAT(BadError(Service("fw", "{replicas: .nan}")), HasSubstr("spec.replicas"));
  EXPECT_THAT(BadError(Service("fw", "{replicas: 99999999999999999999999999}")),
              HasSubstr("spec.replicas"));
  EXPECT_THAT(BadError(Rule("{priority: 4294967296, action: {drop: true}}")),
              HasSubstr("spec.priority"));
  EXPECT_THAT(BadError(Rule("{match: {vlanId: -1}, action: {drop: true}}")),
              HasSubstr("spec.match.vlanId"));
  EXPECT_THAT(BadError(Rule("{match: {vlanId: [1]}, action: {drop: true}}")),
              HasSubstr("spec.match.vlanId"));
  EXPECT_THAT(BadError(Rule("{match: {dstPorts: {a: 1}}, action: {drop: true}}")),
              HasSubstr("spec.match.dstPorts"));
}

TEST(ManifestBadInputTest, AliasBombsAndDeepNestingEndPromptly) {
  // "Billion laughs": nine levels of nine aliases, under a field that takes
  // a list of strings.
  std::string bomb = "apiVersion: onvm/v1\nkind: Service\nmetadata: {name: fw}\nx0: &a0 [lol]\n";
  for (int level = 1; level < 10; ++level) {
    absl::StrAppend(&bomb, "x", level, ": &a", level, " [");
    for (int i = 0; i < 9; ++i) absl::StrAppend(&bomb, i ? ", " : "", "*a", level - 1);
    absl::StrAppend(&bomb, "]\n");
  }
  const std::string in_args = absl::StrCat(
      "apiVersion: onvm/v1\nkind: Service\nmetadata: {name: fw}\nspec:\n  launch:\n"
      "    command: nf\n    env: &e0 {a: b}\n    args: &a0 [lol, lol]\n",
      "---\n", bomb);
  for (const std::string& content : {bomb, in_args}) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THAT(BadError(content), HasSubstr("bad.yaml"));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  }
  // An alias standing for a list where a string must be.
  EXPECT_THAT(BadError("apiVersion: onvm/v1\nkind: Chain\nmetadata: {name: c}\nspec:\n"
                       "  services: &s [a, b]\n  then: {out: *s}\n"),
              HasSubstr("spec.then.out"));
  // Nesting far deeper than any manifest: refused, no stack overflow.
  for (int depth : {1000, 100000}) {
    const std::string deep =
        absl::StrCat(Service("fw", std::string(depth, '[')), std::string(depth, ']'), "\n");
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THAT(BadError(deep), HasSubstr("bad.yaml")) << depth;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    const std::string deep_map = absl::StrCat(
        Service("fw", ""), "  launch:", std::string(depth, '{'), std::string(depth, '}'));
    EXPECT_THAT(BadError(deep_map), HasSubstr("bad.yaml")) << depth;
  }
}

TEST(ManifestBadInputTest, TensOfThousandsOfDocumentsParseOrFailWithTheDocumentNumber) {
  std::string many;
  for (int i = 0; i < 20000; ++i) absl::StrAppend(&many, "---\n", Service(absl::StrCat("s", i)));
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<v1::Resource>> parsed = ParseManifests(many, "many.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->size(), 20000u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  absl::StrAppend(&many, "---\n", Service("Bad_Name"));
  EXPECT_THAT(BadError(many), HasSubstr("document 20001 (Service \"Bad_Name\")"));
}

TEST(ManifestBadInputTest, HugeAndEndlessInputIsRefusedNamingTheSource) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "huge-manifest";
  std::filesystem::create_directories(dir);
  const std::string huge = (dir / "huge.yaml").string();
  {
    std::ofstream out(huge);
    out << Service("fw", "{launch: {command: nf, args: [");
    const std::string arg(1000, 'a');
    for (size_t written = 0; written <= kMaxManifestBytes; written += arg.size() + 2) {
      out << arg << ", ";
    }
    out << "]}}\n";
  }
  absl::StatusOr<std::vector<v1::Resource>> loaded = LoadManifests(huge);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr(huge));
  std::filesystem::remove_all(dir);

  // A device that never ends.
  loaded = LoadManifests("/dev/zero");
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("/dev/zero"));

  // The same on stdin.
  std::istringstream endless(std::string(kMaxManifestBytes + 1, '#'));
  loaded = LoadManifestArgs({"-"}, endless);
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr(kStdinName));
}

}  // namespace
}  // namespace onvm::cli
