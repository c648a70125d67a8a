// Fuzz target: the manifest parser of onvmctl (cli/manifest.h), i.e. YAML or
// JSON text -> yaml-cpp -> schema-guided YAML-to-JSON -> protobuf messages.
//
// Input: the text of a manifest file. ParseManifests (what LoadManifests
// runs on each file's content) must return resources or an error, never
// crash or throw. For what it accepts:
//   - every resource has a kind and a valid DNS-label name;
//   - rule matches go through CompileMatch, as the agent's validation does
//     (its text parsers for prefixes, ports, protocols, ether types);
//   - the resources written back as `onvmctl get -o yaml` and `-o json`
//     write them (FormatYaml / FormatJson) parse again into the same
//     messages: the README promises that such output can be applied again.
// A broken invariant aborts with a message, which libFuzzer reports as a
// crash and saves.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cli/json_format.h"
#include "cli/manifest.h"
#include "cli/yaml_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "onvm/match.h"
#include "onvm/names.h"

namespace {

using onvm::v1::Resource;

[[noreturn]] void Fail(const std::string& what, absl::string_view text) {
  std::fprintf(stderr, "fuzz_manifest: invariant broken: %s\n--- text ---\n%.*s\n------------\n",
               what.c_str(), static_cast<int>(text.size()), text.data());
  std::abort();
}

const google::protobuf::Message* Inner(const Resource& r) {
  switch (r.kind_case()) {
    case Resource::kService:
      return &r.service();
    case Resource::kChain:
      return &r.chain();
    case Resource::kRule:
      return &r.rule();
    case Resource::KIND_NOT_SET:
      break;
  }
  return nullptr;
}

void CheckRoundTrip(const std::vector<Resource>& resources, const std::string& text,
                    absl::string_view format) {
  auto again = onvm::cli::ParseManifests(text, format);
  if (!again.ok()) {
    Fail(absl::StrCat("-o ", format, " output does not parse again: ", again.status().ToString()),
         text);
  }
  if (again->size() != resources.size()) {
    Fail(absl::StrCat("-o ", format, " output has ", again->size(), " resources, want ",
                      resources.size()),
         text);
  }
  for (size_t i = 0; i < resources.size(); ++i) {
    std::string diff;
    google::protobuf::util::MessageDifferencer differencer;
    differencer.ReportDifferencesToString(&diff);
    if (!differencer.Compare(resources[i], (*again)[i])) {
      Fail(absl::StrCat("-o ", format, " output of resource ", i + 1,
                        " parses into a different message: ", diff),
           text);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = onvm::cli::ParseManifests(text, "fuzz.yaml");
  if (!parsed.ok()) {
    if (parsed.status().message().empty()) Fail("an error without a message", text);
    return 0;
  }

  std::vector<const google::protobuf::Message*> items;
  for (const Resource& r : *parsed) {
    const google::protobuf::Message* inner = Inner(r);
    if (inner == nullptr) Fail("a resource without a kind", text);
    if (onvm::cli::ResourceKind(r).empty()) Fail("ResourceKind is empty", text);
    const std::string& name = onvm::cli::ResourceName(r);
    if (!onvm::ValidateName("metadata.name", name).ok()) {
      Fail(absl::StrCat("accepted an invalid name \"", name, "\""), text);
    }
    if (r.has_rule()) {
      // Whatever it returns, it must not crash (the agent calls it on
      // exactly these strings).
      (void)onvm::CompileMatch(r.rule().spec().match(), "spec.match");
    }
    items.push_back(inner);
  }
  if (items.empty()) return 0;

  CheckRoundTrip(*parsed, onvm::cli::FormatYaml(items, /*as_list=*/true), "yaml");
  auto json = onvm::cli::FormatJson(items, /*as_list=*/true);
  if (!json.ok()) Fail(absl::StrCat("FormatJson failed: ", json.status().ToString()), text);
  CheckRoundTrip(*parsed, *json, "json");
  return 0;
}
