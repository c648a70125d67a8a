// A real Prometheus server (Debian's `prometheus`) scrapes a real onvm-agent
// with the shipped scrape configuration and alert rules
// (deploy/prometheus/), and every PromQL expression of the shipped Grafana
// dashboard (deploy/grafana/onvm-dashboard.json) returns data from it.
//
// The stack: onvm-engine on net_af_packet ports in a network namespace,
// onvm-agent, the forward chain applied with onvmctl, one onvm-nf-forward,
// and frames sent through it. Prometheus runs on a free loopback port with
// a copy of deploy/prometheus/prometheus.yml whose target is this agent and
// whose intervals are 1s; it is stopped by pid and its data directory
// removed with the test's temporary directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <iostream>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "deploy_test_util.h"
#include "stack.h"

namespace onvm::testing {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr size_t kFrames = 120;

// Replaces exactly one occurrence of `from` (the test depends on the shape
// of the shipped file: fail loudly if it changes).
bool ReplaceOnce(std::string* text, std::string_view from, std::string_view to) {
  const size_t at = text->find(from);
  if (at == std::string::npos || text->find(from, at + 1) != std::string::npos) return false;
  text->replace(at, from.size(), to);
  return true;
}

const Value* Field(const Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? nullptr : &it->second;
}

class PrometheusServer {
 public:
  // Starts prometheus with `config` (a file) on a free port.
  static absl::StatusOr<std::unique_ptr<PrometheusServer>> Start(TempDir& tmp,
                                                                 const std::string& config) {
    const std::string binary = FindExecutable("prometheus");
    if (binary.empty()) {
      return absl::FailedPreconditionError(
          "prometheus is not installed (Debian package prometheus; scripts/setup.sh)");
    }
    std::unique_ptr<PrometheusServer> s(new PrometheusServer());
    s->address_ = absl::StrCat("127.0.0.1:", FreeTcpPort());
    auto p = Process::Start(binary,
                            {absl::StrCat("--config.file=", config),
                             absl::StrCat("--storage.tsdb.path=", tmp.File("prometheus-data")),
                             absl::StrCat("--web.listen-address=", s->address_),
                             "--storage.tsdb.retention.time=1h", "--log.level=info"},
                            tmp.File("prometheus.log"));
    if (!p.ok()) return p.status();
    s->process_ = *std::move(p);
    const bool ready =
        WaitFor([&] { return !s->process_->Running() || HttpGet(s->address_, "/-/ready").ok(); },
                seconds(60), milliseconds(200));
    if (!ready || !s->process_->Running()) {
      return absl::InternalError(
          absl::StrCat("prometheus did not become ready\n", s->process_->Describe()));
    }
    return s;
  }

  // GET /api/v1/PATH and the "data" member of a successful answer.
  absl::StatusOr<Value> Api(const std::string& path_and_query) const {
    auto body = HttpGet(address_, absl::StrCat("/api/v1/", path_and_query));
    if (!body.ok()) return body.status();
    auto json = ParseJson(*body);
    if (!json.ok()) return json.status();
    const Value* status = Field(*json, "status");
    const Value* data = Field(*json, "data");
    if (status == nullptr || status->string_value() != "success" || data == nullptr) {
      return absl::InternalError(absl::StrCat("prometheus answered: ", *body));
    }
    return *data;
  }

  // The result vector of an instant query.
  absl::StatusOr<ListValue> Query(const std::string& promql) const {
    auto data = Api(absl::StrCat("query?query=", UrlEncode(promql)));
    if (!data.ok()) return data.status();
    const Value* result = Field(data->struct_value(), "result");
    if (result == nullptr || !result->has_list_value()) {
      return absl::InternalError(absl::StrCat("no result vector for ", promql));
    }
    return result->list_value();
  }

  // Value of the first sample of `promql`, once it equals `want`
  // (nullopt if it never did within `timeout`; `last` gets the last value).
  bool WaitValue(const std::string& promql, double want, std::string* last,
                 milliseconds timeout = seconds(30)) const {
    return WaitFor(
        [&] {
          auto r = Query(promql);
          if (!r.ok()) {
            *last = std::string(r.status().message());
            return false;
          }
          if (r->values_size() == 0) {
            *last = "(empty result)";
            return false;
          }
          const Value& sample = r->values(0).struct_value().fields().at("value");
          *last = sample.list_value().values(1).string_value();
          return std::stod(*last) == want;
        },
        timeout, milliseconds(250));
  }

  Process& process() { return *process_; }

 private:
  PrometheusServer() = default;
  std::string address_;
  std::unique_ptr<Process> process_;
};

// Every expression of every panel (rows' panels included) of a Grafana
// dashboard, with its panel title.
void CollectExpressions(const ListValue& panels,
                        std::vector<std::pair<std::string, std::string>>* out) {
  for (const Value& p : panels.values()) {
    const Struct& panel = p.struct_value();
    const Value* title = Field(panel, "title");
    if (const Value* targets = Field(panel, "targets")) {
      for (const Value& t : targets->list_value().values()) {
        if (const Value* expr = Field(t.struct_value(), "expr")) {
          out->emplace_back(title != nullptr ? title->string_value() : "?", expr->string_value());
        }
      }
    }
    if (const Value* nested = Field(panel, "panels")) CollectExpressions(nested->list_value(), out);
  }
}

class DeployPrometheusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    auto received = ForwardTraffic(*stack_, kFrames);
    ASSERT_TRUE(received.ok()) << received.status() << stack_->Logs();
    ASSERT_EQ(*received, kFrames) << stack_->Logs();
    ASSERT_TRUE(stack_->WaitMetric("onvm_port_rx_packets_total", {{"port", "in"}}, kFrames))
        << stack_->Logs();
  }

  std::unique_ptr<Stack> stack_;
};

TEST_F(DeployPrometheusTest, ScrapesTheAgentEvaluatesTheRulesAndFeedsEveryDashboardPanel) {
  TempDir& tmp = stack_->tmp();

  // --- promtool check metrics on a real scrape of the agent ----------------
  {
    auto body = MetricsScrape(stack_->metrics_address());
    ASSERT_TRUE(body.ok()) << body.status();
    const std::string scrape = tmp.File("scrape.txt");
    ASSERT_TRUE(WriteFile(scrape, *body));
    const std::string promtool = FindExecutable("promtool");
    ASSERT_FALSE(promtool.empty()) << "promtool is not installed (Debian package prometheus)";
    CommandResult r = RunCommand({"sh", "-c", absl::StrCat(promtool, " check metrics < ", scrape)});
    EXPECT_TRUE(r.ok()) << "promtool check metrics: " << r.status.ToString() << "\n"
                        << r.output << "\non:\n"
                        << *body;
  }

  // --- the shipped configuration, pointed at this agent ---------------------
  std::string config = ReadFileOrEmpty(SourcePath("deploy/prometheus/prometheus.yml"));
  ASSERT_FALSE(config.empty());
  ASSERT_TRUE(ReplaceOnce(&config, "\"127.0.0.1:9470\"",
                          absl::StrCat("\"", stack_->metrics_address(), "\"")))
      << "deploy/prometheus/prometheus.yml: no single static target 127.0.0.1:9470";
  ASSERT_TRUE(ReplaceOnce(&config, "scrape_interval: 15s", "scrape_interval: 1s"));
  ASSERT_TRUE(ReplaceOnce(&config, "evaluation_interval: 15s", "evaluation_interval: 1s"));
  ASSERT_TRUE(WriteFile(tmp.File("prometheus.yml"), config));
  const std::string rules = ReadFileOrEmpty(SourcePath("deploy/prometheus/onvm-alerts.yml"));
  ASSERT_FALSE(rules.empty());
  ASSERT_TRUE(WriteFile(tmp.File("onvm-alerts.yml"), rules));

  auto prom = PrometheusServer::Start(tmp, tmp.File("prometheus.yml"));
  ASSERT_TRUE(prom.ok()) << prom.status();
  PrometheusServer& p = **prom;

  // --- a metric through the HTTP API ----------------------------------------
  std::string last;
  EXPECT_TRUE(p.WaitValue("up{job=\"onvm-agent\"}", 1, &last)) << last << p.process().Tail();
  EXPECT_TRUE(p.WaitValue("onvm_port_rx_packets_total{job=\"onvm-agent\",port=\"in\"}",
                          static_cast<double>(kFrames), &last))
      << "last value " << last << "\n"
      << p.process().Tail();
  EXPECT_TRUE(
      p.WaitValue("onvm_port_tx_packets_total{port=\"out\"}", static_cast<double>(kFrames), &last))
      << last;
  // The NF's own `instance` label arrives as exported_instance (see
  // prometheus.yml); the target's is the agent's address.
  EXPECT_TRUE(p.WaitValue(
      absl::StrCat("onvm_nf_rx_packets_total{service=\"fwd\",exported_instance=\"1\",instance=\"",
                   stack_->metrics_address(), "\"}"),
      static_cast<double>(kFrames), &last))
      << last;
  EXPECT_TRUE(p.WaitValue("onvm_engine_up", 1, &last)) << last;

  // --- every alert rule loaded and evaluated without error ------------------
  {
    std::set<std::string> names;
    std::string problems;
    const bool evaluated = WaitFor(
        [&] {
          names.clear();
          problems.clear();
          auto data = p.Api("rules");
          if (!data.ok()) {
            problems = std::string(data.status().message());
            return false;
          }
          for (const Value& g : data->struct_value().fields().at("groups").list_value().values()) {
            for (const Value& r : g.struct_value().fields().at("rules").list_value().values()) {
              const Struct& rule = r.struct_value();
              const std::string name = Field(rule, "name")->string_value();
              names.insert(name);
              const std::string health = Field(rule, "health")->string_value();
              if (health != "ok") {
                const Value* err = Field(rule, "lastError");
                absl::StrAppend(&problems, name, ": ", health, " ",
                                err != nullptr ? err->string_value() : "", "\n");
              }
            }
          }
          return !names.empty() && problems.empty();
        },
        seconds(20), milliseconds(250));
    EXPECT_TRUE(evaluated) << problems;
    EXPECT_THAT(names, ::testing::IsSupersetOf({"OnvmEngineDown", "OnvmNfCrashLooping",
                                                "OnvmPortDrops", "OnvmNfRingFull",
                                                "OnvmEngineDrops", "OnvmChainLatencyHigh"}));
  }

  // --- every Grafana panel's expression returns data ------------------------
  {
    auto dash = ParseJson(ReadFileOrEmpty(SourcePath("deploy/grafana/onvm-dashboard.json")));
    ASSERT_TRUE(dash.ok()) << dash.status();
    std::vector<std::pair<std::string, std::string>> exprs;
    CollectExpressions(Field(*dash, "panels")->list_value(), &exprs);
    ASSERT_GE(exprs.size(), 10u);
    for (const auto& [title, raw] : exprs) {
      // What Grafana substitutes: the rate interval (at least 4 scrape
      // intervals) and the template variables, all selected ("All" = .*).
      const std::string expr = absl::StrReplaceAll(
          raw,
          {{"$__rate_interval", "5s"}, {"$instance", ".*"}, {"$port", ".*"}, {"$service", ".*"}});
      ASSERT_FALSE(absl::StrContains(expr, "$")) << title << ": unknown variable in " << raw;
      std::string why;
      const bool has_data = WaitFor(
          [&] {
            auto r = p.Query(expr);
            if (!r.ok()) {
              why = std::string(r.status().message());
              return false;
            }
            why = "empty result";
            return r->values_size() > 0;
          },
          seconds(20), milliseconds(250));
      EXPECT_TRUE(has_data) << "panel \"" << title << "\": " << expr << ": " << why;
    }
    std::cout << "[ deploy ] " << exprs.size() << " dashboard expressions returned data\n";
  }

  // --- the engine-down alert reacts to a real engine stop -------------------
  stack_->engine().Stop();
  EXPECT_TRUE(p.WaitValue("onvm_engine_up", 0, &last)) << last;
  std::string alerts;
  const bool pending = WaitFor(
      [&] {
        auto data = p.Api("alerts");
        if (!data.ok()) return false;
        alerts.clear();
        for (const Value& a : data->struct_value().fields().at("alerts").list_value().values()) {
          const Struct& alert = a.struct_value();
          const std::string name =
              Field(alert, "labels")->struct_value().fields().at("alertname").string_value();
          const std::string state = Field(alert, "state")->string_value();
          absl::StrAppend(&alerts, name, "=", state, " ");
          if (name == "OnvmEngineDown" && (state == "pending" || state == "firing")) return true;
        }
        return false;
      },
      seconds(20), milliseconds(250));
  EXPECT_TRUE(pending) << "alerts: " << alerts;
}

}  // namespace
}  // namespace onvm::testing
