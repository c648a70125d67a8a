#include "cli/output.h"

#include "absl/strings/str_cat.h"
#include "cli/manifest.h"
#include "cli/table.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "test/cli/cli_test_util.h"

namespace onvm::cli {
namespace {

using ::onvm::cli::testing::ParseText;

using ::testing::HasSubstr;
using ::testing::Not;

v1::Rule SampleRule() {
  return ParseText<v1::Rule>(R"pb(
    api_version: "onvm/v1"
    kind: "Rule"
    metadata { name: "web-in" generation: 2 }
    spec {
      priority: 100
      match { in_port: "wan" ip_proto: "tcp" dst_ports: "80-443" vlan_id: 0 }
      action { chain: "web" }
    }
    status { id: 7 hits: 12345678901 }
  )pb");
}

TEST(TableTest, AlignsColumnsWithoutTrailingBlanks) {
  Table table({"NAME", "ID", "X"});
  table.AddRow({"a-long-name", "1", "x"});
  table.AddRow({"b", "22"});
  EXPECT_EQ(table.Render(),
            "NAME          ID   X\n"
            "a-long-name   1    x\n"
            "b             22   \n");
  EXPECT_EQ(table.row_count(), 2u);
}

TEST(TablesTest, Services) {
  std::vector<v1::Service> items = {ParseText<v1::Service>(R"pb(
    metadata { name: "fw" }
    spec {
      replicas: 2
      launch { command: "onvm-nf-firewall" args: "--deny" args: "10.0.0.0/8" }
    }
    status { id: 3 ready_replicas: 1 }
  )pb")};
  EXPECT_EQ(MakeTable(items, false).Render(),
            "NAME   ID   REPLICAS   READY\n"
            "fw     3    2          1\n");
  EXPECT_THAT(MakeTable(items, true).Render(), HasSubstr("onvm-nf-firewall --deny 10.0.0.0/8"));
}

TEST(TablesTest, Chains) {
  std::vector<v1::Chain> items = {ParseText<v1::Chain>(R"pb(metadata { name: "web" }
                                                            spec {
                                                              services: "fw"
                                                              services: "mon"
                                                              then { out: "lan" }
                                                            }
                                                            status { id: 1 })pb"),
                                  ParseText<v1::Chain>(R"pb(metadata { name: "sink" }
                                                            spec {
                                                              services: "fw"
                                                              then { drop: true }
                                                            })pb")};
  EXPECT_EQ(MakeTable(items, false).Render(),
            "NAME   ID   SERVICES   THEN\n"
            "web    1    fw,mon     out:lan\n"
            "sink   0    fw         drop\n");
}

TEST(TablesTest, Rules) {
  const std::string text = MakeTable(std::vector<v1::Rule>{SampleRule()}, false).Render();
  EXPECT_THAT(text, HasSubstr("NAME     ID   PRIORITY   MATCH"));
  EXPECT_THAT(text, HasSubstr("ACTION      HITS\n"));
  EXPECT_THAT(text, HasSubstr("web-in   7    100        inPort=wan,vlanId=0,ipProto=tcp,"
                              "dstPorts=80-443   chain:web   12345678901\n"));
}

TEST(TablesTest, Summaries) {
  EXPECT_EQ(MatchSummary(v1::Match()), "*");
  EXPECT_EQ(ActionSummary(v1::RuleAction()), "<none>");
  v1::RuleAction action;
  action.set_out("lan");
  EXPECT_EQ(ActionSummary(action), "out:lan");
  action.set_drop(true);
  EXPECT_EQ(ActionSummary(action), "drop");
  EXPECT_EQ(ChainEndSummary(v1::ChainEnd()), "<none>");
}

TEST(TablesTest, PortsAndInstances) {
  std::vector<v1::Port> ports = {ParseText<v1::Port>(R"pb(
    metadata { name: "wan" }
    spec { devargs: "net_null0" }
    status { port_id: 0 link_up: true mac: "02:00:00:00:00:01" rx_packets: 5 tx_packets: 6 }
  )pb")};
  EXPECT_EQ(MakeTable(ports, false).Render(),
            "NAME   ID   LINK   MAC                 RX-PKTS   TX-PKTS\n"
            "wan    0    up     02:00:00:00:00:01   5         6\n");
  EXPECT_THAT(MakeTable(ports, true).Render(), HasSubstr("net_null0"));

  std::vector<v1::Instance> instances = {ParseText<v1::Instance>(R"pb(
    metadata { name: "fw-3" }
    spec { service: "fw" }
    status {
      instance_id: 3
      pid: 4242
      state: RUNNING
      rx_packets: 10
      tx_packets: 9
      dropped_ring_full: 1
      dropped_by_handler: 2
      cpu: 1
    }
  )pb")};
  EXPECT_EQ(MakeTable(instances, false).Render(),
            "NAME   SERVICE   ID   PID    STATE     RX   TX   DROPS\n"
            "fw-3   fw        3    4242   running   10   9    3\n");
  EXPECT_THAT(MakeTable(instances, true).Render(), HasSubstr("RING-FULL   HANDLER-DROPS   CPU\n"));
}

TEST(OutputFormatTest, Parses) {
  EXPECT_EQ(*ParseOutputFormat(""), OutputFormat::kTable);
  EXPECT_EQ(*ParseOutputFormat("wide"), OutputFormat::kWide);
  EXPECT_EQ(*ParseOutputFormat("json"), OutputFormat::kJson);
  EXPECT_EQ(*ParseOutputFormat("yaml"), OutputFormat::kYaml);
  EXPECT_EQ(*ParseOutputFormat("name"), OutputFormat::kName);
  EXPECT_FALSE(ParseOutputFormat("xml").ok());
}

TEST(JsonTest, PrettyPrints) {
  EXPECT_EQ(PrettyJson(R"({"a":{"b":[1,"x,{}:"],"c":{},"d":[]},"e":"q\"}"})"),
            "{\n"
            "    \"a\": {\n"
            "        \"b\": [\n"
            "            1,\n"
            "            \"x,{}:\"\n"
            "        ],\n"
            "        \"c\": {},\n"
            "        \"d\": []\n"
            "    },\n"
            "    \"e\": \"q\\\"}\"\n"
            "}\n");
}

TEST(JsonTest, SingleObjectAndList) {
  const v1::Rule rule = SampleRule();
  absl::StatusOr<std::string> single = FormatJson({&rule}, /*as_list=*/false);
  ASSERT_TRUE(single.ok()) << single.status();
  EXPECT_THAT(*single, HasSubstr("\"apiVersion\": \"onvm/v1\""));
  EXPECT_THAT(*single, HasSubstr("\"inPort\": \"wan\""));
  EXPECT_THAT(*single, HasSubstr("\"hits\": \"12345678901\""));
  EXPECT_THAT(*single, Not(HasSubstr("List")));

  absl::StatusOr<std::string> list = FormatJson({&rule, &rule}, /*as_list=*/true);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->rfind("{\n    \"apiVersion\": \"onvm/v1\",\n    \"kind\": \"List\",\n"
                        "    \"items\": [\n        {\n",
                        0),
            0u);

  absl::StatusOr<std::string> empty = FormatJson({}, /*as_list=*/true);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty,
            "{\n    \"apiVersion\": \"onvm/v1\",\n    \"kind\": \"List\",\n    \"items\": []\n}\n");
}

TEST(JsonTest, OutputParsesBackAsAManifest) {
  const v1::Rule rule = SampleRule();
  absl::StatusOr<std::string> list = FormatJson({&rule}, /*as_list=*/true);
  ASSERT_TRUE(list.ok());
  absl::StatusOr<std::vector<v1::Resource>> parsed = ParseManifests(*list, "out.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].rule().spec().SerializeAsString(), rule.spec().SerializeAsString());
}

// What `onvmctl get -o yaml|json` prints must apply again unchanged, keys
// and strings that YAML handles differently from JSON included. The
// fuzz_manifest regressions json-output-long-map-key.yaml and
// yaml-output-long-map-key.yaml: an env name of "N" and 236 or 300 NUL
// bytes, 1417 or 1801 characters as JSON, 1203 characters as YAML (\x00),
// more than the 1024 yaml-cpp takes for an implicit key.
TEST(OutputTest, UnusualStringsParseBackFromYamlAndJson) {
  v1::Service service = ParseText<v1::Service>(R"pb(
    api_version: "onvm/v1"
    kind: "Service"
    metadata { name: "fw" }
    spec { launch { command: "onvm-nf-firewall" args: "--deny" } }
  )pb");
  auto& env = *service.mutable_spec()->mutable_launch()->mutable_env();
  env[absl::StrCat("N", std::string(236, '\0'))] = absl::StrCat("1|", std::string(50, '\0'));
  env[absl::StrCat("N", std::string(300, '\0'))] = "300";
  env[std::string(1100, 'K')] = "long";
  env["LOG"] = "debug";
  // U+E0041, which protobuf's JSON printer escapes as a surrogate pair.
  service.mutable_spec()->mutable_launch()->add_args("tag \xF3\xA0\x81\x81 \xF0\x9F\x98\x80");
  for (const bool json : {false, true}) {
    SCOPED_TRACE(json ? "json" : "yaml");
    std::string text = FormatYaml({&service}, /*as_list=*/true);
    if (json) {
      absl::StatusOr<std::string> j = FormatJson({&service}, /*as_list=*/true);
      ASSERT_TRUE(j.ok()) << j.status();
      text = *j;
    }
    absl::StatusOr<std::vector<v1::Resource>> parsed = ParseManifests(text, "out");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ASSERT_EQ(parsed->size(), 1u);
    // Maps serialize in no set order: compare fields.
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals((*parsed)[0].service().spec(),
                                                                   service.spec()));
  }
}

TEST(YamlTest, SingleObject) {
  const v1::Rule rule = SampleRule();
  EXPECT_EQ(FormatYaml({&rule}, /*as_list=*/false),
            "apiVersion: onvm/v1\n"
            "kind: Rule\n"
            "metadata:\n"
            "  name: web-in\n"
            "  generation: 2\n"
            "spec:\n"
            "  priority: 100\n"
            "  match:\n"
            "    inPort: wan\n"
            "    vlanId: 0\n"
            "    ipProto: tcp\n"
            "    dstPorts: 80-443\n"
            "  action:\n"
            "    chain: web\n"
            "status:\n"
            "  id: 7\n"
            "  hits: 12345678901\n");
}

TEST(YamlTest, ListAndEmptyList) {
  const v1::Rule rule = SampleRule();
  const std::string list = FormatYaml({&rule}, /*as_list=*/true);
  EXPECT_EQ(list.rfind("apiVersion: onvm/v1\nkind: List\nitems:\n  - apiVersion: onvm/v1\n", 0),
            0u);
  EXPECT_EQ(FormatYaml({}, /*as_list=*/true), "apiVersion: onvm/v1\nkind: List\nitems: []\n");
}

TEST(YamlTest, AmbiguousStringsAreQuoted) {
  for (const char* text : {"", "10", "true", "No", "null", "~", "1.5", "0x1f", "02:00:00:00:00:01",
                           "-1", ".inf", "1e3"}) {
    EXPECT_TRUE(YamlNeedsQuotes(text)) << text;
  }
  for (const char* text : {"fw", "80-443", "192.0.2.0/24", "net_null0", "web-in", "tcp"}) {
    EXPECT_FALSE(YamlNeedsQuotes(text)) << text;
  }
  const v1::Service service = ParseText<v1::Service>(R"pb(
    api_version: "onvm/v1"
    kind: "Service"
    metadata { name: "123" }
    spec {
      launch {
        command: "nf"
        args: "--count"
        args: "10"
        env { key: "B" value: "true" }
        env { key: "A" value: "x" }
      }
    }
  )pb");
  const std::string yaml = FormatYaml({&service}, false);
  EXPECT_THAT(yaml, HasSubstr("name: \"123\""));
  EXPECT_THAT(yaml, HasSubstr("- \"10\""));
  EXPECT_THAT(yaml, HasSubstr("env:\n      A: x\n      B: \"true\"\n"));
}

TEST(YamlTest, OutputParsesBackAsAManifest) {
  const v1::Rule rule = SampleRule();
  absl::StatusOr<std::vector<v1::Resource>> parsed =
      ParseManifests(FormatYaml({&rule, &rule}, true), "out.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[1].rule().spec().SerializeAsString(), rule.spec().SerializeAsString());
}

TEST(NameOutputTest, KindSlashName) {
  absl::StatusOr<std::string> text = FormatResources(
      Kind::kRule, std::vector<v1::Rule>{SampleRule(), SampleRule()}, true, OutputFormat::kName);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "rule/web-in\nrule/web-in\n");
}

TEST(FillTypeMetaTest, FillsOnlyWhatIsMissing) {
  v1::Port port;
  FillTypeMeta(Kind::kPort, port);
  EXPECT_EQ(port.api_version(), "onvm/v1");
  EXPECT_EQ(port.kind(), "Port");
  port.set_kind("Other");
  FillTypeMeta(Kind::kPort, port);
  EXPECT_EQ(port.kind(), "Other");
}

}  // namespace
}  // namespace onvm::cli
