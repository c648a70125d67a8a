#include "cli/manifest.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/cli/cli_test_util.h"

namespace onvm::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::string_view kDesignExample = R"(apiVersion: onvm/v1
kind: Service
metadata: {name: fw}
spec:
  replicas: 2
  launch: {command: onvm-nf-firewall, args: ["--deny", "10.0.0.0/8"]}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: web}
spec:
  services: [fw, monitor]
  then: {out: lan}          # or {drop: true}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: web-in}
spec:
  priority: 100
  match: {inPort: wan, ipProto: tcp, dstPorts: "80-443", dstPrefix: 192.0.2.0/24}
  action: {chain: web}      # or {out: lan} or {drop: true}
)";

// A rule document with `spec` replaced, for the rejection tests.
std::string RuleWithSpec(absl::string_view spec) {
  return absl::StrCat("apiVersion: onvm/v1\nkind: Rule\nmetadata: {name: web-in}\nspec:\n", spec);
}

std::string DemoError(absl::string_view content, absl::string_view source = "demo.yaml") {
  return ::onvm::cli::testing::ManifestError(content, source);
}

TEST(ManifestTest, DesignExampleMapsOntoTheProtos) {
  absl::StatusOr<std::vector<v1::Resource>> parsed = ParseManifests(kDesignExample, "design.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 3u);

  ASSERT_TRUE((*parsed)[0].has_service());
  const v1::Service& fw = (*parsed)[0].service();
  EXPECT_EQ(fw.api_version(), "onvm/v1");
  EXPECT_EQ(fw.kind(), "Service");
  EXPECT_EQ(fw.metadata().name(), "fw");
  EXPECT_EQ(fw.spec().replicas(), 2u);
  EXPECT_EQ(fw.spec().launch().command(), "onvm-nf-firewall");
  EXPECT_THAT(fw.spec().launch().args(), ElementsAre("--deny", "10.0.0.0/8"));

  ASSERT_TRUE((*parsed)[1].has_chain());
  const v1::Chain& web = (*parsed)[1].chain();
  EXPECT_EQ(web.metadata().name(), "web");
  EXPECT_THAT(web.spec().services(), ElementsAre("fw", "monitor"));
  EXPECT_EQ(web.spec().then().target_case(), v1::ChainEnd::kOut);
  EXPECT_EQ(web.spec().then().out(), "lan");

  ASSERT_TRUE((*parsed)[2].has_rule());
  const v1::Rule& rule = (*parsed)[2].rule();
  EXPECT_EQ(rule.metadata().name(), "web-in");
  EXPECT_EQ(rule.spec().priority(), 100u);
  EXPECT_EQ(rule.spec().match().in_port(), "wan");
  EXPECT_EQ(rule.spec().match().ip_proto(), "tcp");
  EXPECT_EQ(rule.spec().match().dst_ports(), "80-443");
  EXPECT_EQ(rule.spec().match().dst_prefix(), "192.0.2.0/24");
  EXPECT_FALSE(rule.spec().match().has_vlan_id());
  EXPECT_EQ(rule.spec().action().target_case(), v1::RuleAction::kChain);
  EXPECT_EQ(rule.spec().action().chain(), "web");

  EXPECT_EQ(ResourceKind((*parsed)[2]), "Rule");
  EXPECT_EQ(ResourceName((*parsed)[2]), "web-in");
}

TEST(ManifestTest, ScalarsFollowTheFieldTypes) {
  absl::StatusOr<std::vector<v1::Resource>> parsed = ParseManifests(
      RuleWithSpec("  priority: \"7\"\n  match: {vlanId: 10, dstPorts: 80, srcPorts: 1-2}\n"
                   "  action: {drop: true}\n"),
      "x.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const v1::RuleSpec& spec = (*parsed)[0].rule().spec();
  EXPECT_EQ(spec.priority(), 7u);  // A quoted number still fills an integer field.
  ASSERT_TRUE(spec.match().has_vlan_id());
  EXPECT_EQ(spec.match().vlan_id(), 10u);
  EXPECT_EQ(spec.match().dst_ports(), "80");  // A plain number fills a string field.
  EXPECT_EQ(spec.match().src_ports(), "1-2");
  EXPECT_EQ(spec.action().target_case(), v1::RuleAction::kDrop);
  EXPECT_TRUE(spec.action().drop());
}

TEST(ManifestTest, ChainCanEndInDropAndRuleCanSendOut) {
  absl::StatusOr<std::vector<v1::Resource>> parsed = ParseManifests(
      "apiVersion: onvm/v1\nkind: Chain\nmetadata: {name: c}\n"
      "spec: {services: [a], then: {drop: true}}\n---\n" +
          RuleWithSpec("  action: {out: lan}\n"),
      "x.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE((*parsed)[0].chain().spec().then().drop());
  EXPECT_EQ((*parsed)[1].rule().spec().action().out(), "lan");
}

TEST(ManifestTest, LaunchEnvIsAMap) {
  absl::StatusOr<std::vector<v1::Resource>> parsed = ParseManifests(
      "apiVersion: onvm/v1\nkind: Service\nmetadata: {name: fw}\n"
      "spec:\n  launch:\n    command: nf\n    env: {LOG: debug, N: 3}\n",
      "x.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const auto& env = (*parsed)[0].service().spec().launch().env();
  ASSERT_EQ(env.size(), 2u);
  EXPECT_EQ(env.at("LOG"), "debug");
  EXPECT_EQ(env.at("N"), "3");
}

TEST(ManifestTest, ProtoFieldNamesAreAcceptedToo) {
  absl::StatusOr<std::vector<v1::Resource>> parsed =
      ParseManifests(R"({"apiVersion": "onvm/v1", "kind": "Rule", "metadata": {"name": "r"},
                         "spec": {"match": {"in_port": "wan", "dst_ports": "53"}}})",
                     "x.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)[0].rule().spec().match().in_port(), "wan");
  EXPECT_EQ((*parsed)[0].rule().spec().match().dst_ports(), "53");
}

TEST(ManifestTest, MultipleDocumentsSkipEmptyOnes) {
  absl::StatusOr<std::vector<v1::Resource>> parsed = ParseManifests(
      "---\n# nothing here\n---\n"
      "apiVersion: onvm/v1\nkind: Service\nmetadata: {name: a}\n"
      "---\n---\n"
      "apiVersion: onvm/v1\nkind: Service\nmetadata: {name: b}\n---\n",
      "x.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ(ResourceName((*parsed)[0]), "a");
  EXPECT_EQ(ResourceName((*parsed)[1]), "b");
}

TEST(ManifestTest, EmptyContentHasNoResources) {
  absl::StatusOr<std::vector<v1::Resource>> parsed = ParseManifests("# just a comment\n", "x");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->empty());
}

TEST(ManifestTest, DocumentNumbersCountFromOneAndIncludeEmptyDocuments) {
  const std::string message =
      DemoError("apiVersion: onvm/v1\nkind: Service\nmetadata: {name: a}\n---\n---\n" +
                RuleWithSpec("  match: {dstPort: 80}\n"));
  EXPECT_EQ(message,
            "demo.yaml: document 3 (Rule \"web-in\"): spec.match.dstPort: unknown field "
            "(did you mean \"dstPorts\"?)");
}

TEST(ManifestTest, JsonSingleObject) {
  absl::StatusOr<std::vector<v1::Resource>> parsed = ParseManifests(
      "{\n\t\"apiVersion\": \"onvm/v1\",\n\t\"kind\": \"Service\",\n"
      "\t\"metadata\": {\"name\": \"fw\"},\n\t\"spec\": {\"replicas\": 3}\n}\n",
      "fw.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].service().spec().replicas(), 3u);
}

TEST(ManifestTest, JsonList) {
  absl::StatusOr<std::vector<v1::Resource>> parsed = ParseManifests(R"({
    "apiVersion": "v1", "kind": "List",
    "items": [
      {"apiVersion": "onvm/v1", "kind": "Service", "metadata": {"name": "fw"}},
      {"apiVersion": "onvm/v1", "kind": "Chain", "metadata": {"name": "web"},
       "spec": {"services": ["fw"], "then": {"drop": true}}}
    ]})",
                                                                    "list.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_TRUE((*parsed)[0].has_service());
  EXPECT_TRUE((*parsed)[1].chain().spec().then().drop());
}

TEST(ManifestTest, JsonListErrorsNameTheItem) {
  const std::string message = DemoError(R"({"kind": "List", "items": [
      {"apiVersion": "onvm/v1", "kind": "Service", "metadata": {"name": "fw"}},
      {"apiVersion": "onvm/v1", "kind": "Service", "metadata": {"name": "x"},
       "spec": {"replica": 1}}]})",
                                        "list.json");
  EXPECT_EQ(message,
            "list.json: document 1, item 2 (Service \"x\"): spec.replica: unknown field "
            "(did you mean \"replicas\"?)");
}

TEST(ManifestTest, JsonKeysOfAnyLengthOrLayout) {
  // yaml-cpp (like YAML) takes implicit keys of at most 1024 characters on
  // one line; JSON has neither limit. Keys here: 1500 characters, 200 NULs
  // as \u0000 (1200 characters), and a line break before the colon.
  const std::string long_key(1500, 'K');
  std::string nul_key = "N";
  for (int i = 0; i < 200; ++i) nul_key += "\\u0000";
  absl::StatusOr<std::vector<v1::Resource>> parsed =
      ParseManifests(absl::StrCat("{\"apiVersion\": \"onvm/v1\", \"kind\"\n: \"Service\",\n",
                                  " \"metadata\": {\"name\": \"fw\"},\n \"spec\": {\"launch\": {",
                                  "\"command\": \"nf\", \"env\": {\"", long_key, "\": \"a\", \"",
                                  nul_key, "\"\r\n  : \"b\", \"short\": \"c\"}}}}\n"),
                     "long-keys.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 1u);
  const auto& env = (*parsed)[0].service().spec().launch().env();
  EXPECT_EQ(env.size(), 3u);
  EXPECT_EQ(env.at(long_key), "a");
  EXPECT_EQ(env.at(absl::StrCat("N", std::string(200, '\0'))), "b");
  EXPECT_EQ(env.at("short"), "c");
}

TEST(ManifestTest, JsonSurrogatePairsAreOneCharacter) {
  // JSON escapes characters above U+FFFF as UTF-16 surrogate pairs (Python's
  // json.dumps, and protobuf's printer for some); YAML has no such escape.
  absl::StatusOr<std::vector<v1::Resource>> parsed = ParseManifests(
      R"({"apiVersion": "onvm/v1", "kind": "Service", "metadata": {"name": "fw"},
          "spec": {"launch": {"command": "nf", "args": ["\ud83d\ude00", "x\uDB40\uDC41y\u00e9"]}}})",
      "emoji.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_THAT((*parsed)[0].service().spec().launch().args(),
              ElementsAre("\xF0\x9F\x98\x80", "x\xF3\xA0\x81\x81y\xC3\xA9"));
  // Half a pair is not a character.
  EXPECT_THAT(DemoError(R"({"apiVersion": "onvm/v1", "kind": "Service", "metadata": {"name": "fw"},
                         "spec": {"launch": {"command": "\ud83d"}}})"),
              HasSubstr("invalid unicode"));
}

TEST(ManifestTest, YamlFlowStyleIsStillYaml) {
  // Flow-style YAML that is not JSON (plain scalars, comments, single
  // quotes) is read as it is.
  absl::StatusOr<std::vector<v1::Resource>> parsed = ParseManifests(
      "{\"apiVersion\": onvm/v1, kind: Service, metadata: {name: 'fw'}}  # \"quoted\": x\n",
      "flow.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].service().metadata().name(), "fw");
}

TEST(ManifestTest, OutputOnlyFieldsAreDropped) {
  absl::StatusOr<std::vector<v1::Resource>> parsed = ParseManifests(
      "apiVersion: onvm/v1\nkind: Rule\nmetadata: {name: r, generation: 4}\n"
      "spec: {priority: 1}\nstatus: {id: 3, hits: 99}\n",
      "x.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE((*parsed)[0].rule().has_status());
  EXPECT_EQ((*parsed)[0].rule().metadata().generation(), 0u);
}

TEST(ManifestTest, RejectsWrongApiVersion) {
  EXPECT_EQ(DemoError("apiVersion: v1\nkind: Service\nmetadata: {name: fw}\n"),
            "demo.yaml: document 1 (Service \"fw\"): apiVersion: \"v1\" is not supported "
            "(want \"onvm/v1\")");
  EXPECT_THAT(DemoError("kind: Service\nmetadata: {name: fw}\n"),
              HasSubstr("document 1 (Service \"fw\"): apiVersion: required"));
}

TEST(ManifestTest, RejectsUnknownKind) {
  EXPECT_EQ(DemoError("apiVersion: onvm/v1\nkind: Pod\nmetadata: {name: p}\n"),
            "demo.yaml: document 1 (Pod \"p\"): kind: unknown kind \"Pod\" (want Service, "
            "Chain or Rule)");
  EXPECT_THAT(DemoError("apiVersion: onvm/v1\nmetadata: {name: p}\n"),
              HasSubstr("document 1 (\"p\"): kind: required"));
}

TEST(ManifestTest, RejectsReadOnlyKinds) {
  EXPECT_THAT(DemoError("apiVersion: onvm/v1\nkind: Port\nmetadata: {name: wan}\n"),
              HasSubstr("kind: \"Port\" is read-only"));
}

TEST(ManifestTest, RejectsUnknownFieldsNamingThePath) {
  EXPECT_THAT(DemoError(RuleWithSpec("  match: {inPort: wan, dstPort: 80}\n")),
              HasSubstr("demo.yaml: document 1 (Rule \"web-in\"): spec.match.dstPort: unknown "
                        "field"));
  EXPECT_THAT(DemoError("apiVersion: onvm/v1\nkind: Service\nmetadata: {name: a}\nspecs: {}\n"),
              HasSubstr("document 1 (Service \"a\"): specs: unknown field"));
  EXPECT_EQ(DemoError(RuleWithSpec("  zzzzzzz: 1\n")),
            "demo.yaml: document 1 (Rule \"web-in\"): spec.zzzzzzz: unknown field");
}

TEST(ManifestTest, RejectsMissingName) {
  EXPECT_EQ(DemoError("apiVersion: onvm/v1\nkind: Service\nspec: {replicas: 1}\n"),
            "demo.yaml: document 1 (Service): metadata.name: required");
  EXPECT_EQ(DemoError("apiVersion: onvm/v1\nkind: Service\nmetadata: {name: }\n"),
            "demo.yaml: document 1 (Service): metadata.name: required");
}

TEST(ManifestTest, RejectsNamesThatAreNotDnsLabels) {
  EXPECT_THAT(DemoError("apiVersion: onvm/v1\nkind: Service\nmetadata: {name: Web_In}\n"),
              HasSubstr("document 1 (Service \"Web_In\"): metadata.name: 'Web_In' is not a DNS "
                        "label"));
  EXPECT_THAT(DemoError("apiVersion: onvm/v1\nkind: Chain\nmetadata: {name: -web}\n"),
              HasSubstr("metadata.name: '-web' must start and end with a letter or digit"));
}

TEST(ManifestTest, RejectsWrongTypes) {
  EXPECT_EQ(DemoError("apiVersion: onvm/v1\nkind: Service\nmetadata: {name: fw}\n"
                      "spec: {replicas: many}\n"),
            "demo.yaml: document 1 (Service \"fw\"): spec.replicas: expected an integer from 0 "
            "to 4294967295, got \"many\"");
  EXPECT_THAT(DemoError(RuleWithSpec("  priority: -1\n")),
              HasSubstr("spec.priority: expected an integer from 0 to 4294967295, got \"-1\""));
  EXPECT_THAT(DemoError(RuleWithSpec("  action: {drop: yes}\n")),
              HasSubstr("spec.action.drop: expected true or false, got \"yes\""));
  EXPECT_THAT(DemoError(RuleWithSpec("  match: wan\n")),
              HasSubstr("spec.match: expected a mapping, got \"wan\""));
  EXPECT_THAT(DemoError("apiVersion: onvm/v1\nkind: Chain\nmetadata: {name: c}\n"
                        "spec: {services: fw}\n"),
              HasSubstr("spec.services: expected a list, got \"fw\""));
  EXPECT_THAT(DemoError("apiVersion: onvm/v1\nkind: Chain\nmetadata: {name: c}\n"
                        "spec: {services: [fw, {a: b}]}\n"),
              HasSubstr("spec.services[1]: expected a string, got a mapping"));
  EXPECT_THAT(DemoError("apiVersion: onvm/v1\nkind: Service\nmetadata: {name: [a]}\n"),
              HasSubstr("metadata.name: expected a string, got a list"));
}

TEST(ManifestTest, RejectsTwoTargetsOfOneChoice) {
  EXPECT_THAT(DemoError(RuleWithSpec("  action: {chain: web, drop: true}\n")),
              HasSubstr("spec.action.drop: cannot be set together with \"chain\""));
}

TEST(ManifestTest, RejectsDuplicateKeys) {
  EXPECT_THAT(DemoError(RuleWithSpec("  priority: 1\n  priority: 2\n")),
              HasSubstr("spec.priority: duplicate field"));
}

TEST(ManifestTest, RejectsMalformedYamlWithItsLine) {
  EXPECT_THAT(DemoError("apiVersion: onvm/v1\nkind: Chain\nspec: {services: [a, b}\n"),
              HasSubstr("demo.yaml: line 3, column "));
  EXPECT_THAT(DemoError("apiVersion: onvm/v1\nkind: Chain\nmetadata: a: b\n"),
              HasSubstr("demo.yaml: line 3,"));
}

TEST(ManifestTest, RejectsDocumentsThatAreNotMappings) {
  EXPECT_EQ(DemoError("just a string\n"),
            "demo.yaml: document 1: expected a mapping with apiVersion, kind, metadata and spec");
  EXPECT_THAT(DemoError("[1, 2]\n"), HasSubstr("document 1: expected a mapping"));
}

class ManifestFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::path(::testing::TempDir()) /
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void Write(const std::string& relative, absl::string_view name) {
    const std::filesystem::path path = root_ / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << "apiVersion: onvm/v1\nkind: Service\nmetadata: {name: " << name << "}\n";
  }

  std::vector<std::string> Names(const std::vector<v1::Resource>& resources) {
    std::vector<std::string> names;
    for (const v1::Resource& resource : resources) names.push_back(ResourceName(resource));
    return names;
  }

  std::filesystem::path root_;
};

// Depth-first, each directory's entries in name order (as kubectl walks).
TEST_F(ManifestFilesTest, DirectoryIsReadRecursivelyInSortedOrder) {
  Write("b.yaml", "b");
  Write("a/z.yml", "az");
  Write("a.json", "a-json");
  Write("c/d/e.yaml", "cde");
  Write("notes.txt", "ignored");
  Write("c/README.md", "ignored-too");
  absl::StatusOr<std::vector<v1::Resource>> loaded = LoadManifests(root_.string());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_THAT(Names(*loaded), ElementsAre("az", "a-json", "b", "cde"));
}

TEST_F(ManifestFilesTest, FileErrorsNameTheFile) {
  Write("good.yaml", "good");
  std::filesystem::create_directories(root_ / "sub");
  std::ofstream(root_ / "sub" / "bad.yaml") << "apiVersion: onvm/v2\n";
  absl::StatusOr<std::vector<v1::Resource>> loaded = LoadManifests(root_.string());
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.status().message(),
              HasSubstr((root_ / "sub" / "bad.yaml").string() + ": document 1: apiVersion"));
}

TEST_F(ManifestFilesTest, MissingPathIsAnError) {
  absl::StatusOr<std::vector<v1::Resource>> loaded = LoadManifests((root_ / "nope").string());
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.status().message(), HasSubstr("nope\" does not exist"));
}

TEST_F(ManifestFilesTest, ArgsReadFilesAndStdinInOrder) {
  Write("one.yaml", "one");
  std::istringstream stdin_stream(
      "{\"apiVersion\": \"onvm/v1\", \"kind\": \"Chain\", \"metadata\": {\"name\": \"two\"}}");
  absl::StatusOr<std::vector<v1::Resource>> loaded =
      LoadManifestArgs({(root_ / "one.yaml").string(), "-"}, stdin_stream);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_THAT(Names(*loaded), ElementsAre("one", "two"));
}

TEST_F(ManifestFilesTest, StdinErrorsSayStdin) {
  std::istringstream stdin_stream("apiVersion: onvm/v1\nkind: Nope\n");
  absl::StatusOr<std::vector<v1::Resource>> loaded = LoadManifestArgs({"-"}, stdin_stream);
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.status().message(), HasSubstr("<stdin>: document 1 (Nope): kind:"));
}

TEST(ManifestExampleTest, DemoChainExampleParses) {
  absl::StatusOr<std::vector<v1::Resource>> loaded =
      LoadManifests(ONVM_SOURCE_DIR "/deploy/examples/demo-chain.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 3u);
  EXPECT_EQ((*loaded)[0].service().metadata().name(), "fwd");
  EXPECT_FALSE((*loaded)[0].service().spec().has_launch());
  EXPECT_THAT((*loaded)[1].chain().spec().services(), ElementsAre("fwd"));
  EXPECT_EQ((*loaded)[1].chain().spec().then().out(), "out");
  EXPECT_EQ((*loaded)[2].rule().metadata().name(), "demo-in");
  EXPECT_EQ((*loaded)[2].rule().spec().priority(), 100u);
  EXPECT_EQ((*loaded)[2].rule().spec().match().in_port(), "in");
  EXPECT_EQ((*loaded)[2].rule().spec().action().chain(), "demo");
}

}  // namespace
}  // namespace onvm::cli
