#include "cli/manifest.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cli/yaml_to_json.h"
#include "google/protobuf/util/json_util.h"
#include "onvm/names.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/parser.h"
#include "yaml-cpp/yaml.h"

namespace onvm::cli {
namespace {

namespace fs = std::filesystem;

// Looks a key up without yaml-cpp's operator[], whose result for a missing
// key throws on most uses.
std::optional<YAML::Node> Lookup(const YAML::Node& map, absl::string_view key) {
  for (const auto& entry : map) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) return entry.second;
  }
  return std::nullopt;
}

std::string ScalarOr(const std::optional<YAML::Node>& node, absl::string_view fallback) {
  if (node.has_value() && node->IsScalar()) return node->Scalar();
  return std::string(fallback);
}

// Picks the Resource member that a document of `kind` fills in.
absl::StatusOr<google::protobuf::Message*> TargetFor(const std::string& kind,
                                                     v1::Resource& resource) {
  if (kind == "Service") return resource.mutable_service();
  if (kind == "Chain") return resource.mutable_chain();
  if (kind == "Rule") return resource.mutable_rule();
  if (kind == "Port" || kind == "Instance") {
    return absl::InvalidArgumentError(
        absl::StrCat("kind: \"", kind,
                     "\" is read-only and cannot be applied (ports come from the "
                     "onvm-engine command line, instances are the running NF processes)"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("kind: unknown kind \"", kind, "\" (want Service, Chain or Rule)"));
}

template <typename T>
absl::Status Finish(T& object) {
  object.clear_status();
  object.mutable_metadata()->clear_generation();
  if (object.metadata().name().empty()) {
    return absl::InvalidArgumentError("metadata.name: required");
  }
  return ValidateName("metadata.name", object.metadata().name());
}

absl::StatusOr<v1::Resource> ParseDocument(const YAML::Node& document) {
  if (!document.IsMap()) {
    return absl::InvalidArgumentError(
        "expected a mapping with apiVersion, kind, metadata and spec");
  }
  const std::optional<YAML::Node> api_version = Lookup(document, "apiVersion");
  if (!api_version.has_value() || api_version->IsNull()) {
    return absl::InvalidArgumentError(
        absl::StrCat("apiVersion: required (want \"", kApiVersion, "\")"));
  }
  if (!api_version->IsScalar() || api_version->Scalar() != kApiVersion) {
    return absl::InvalidArgumentError(absl::StrCat("apiVersion: \"", ScalarOr(api_version, "?"),
                                                   "\" is not supported (want \"", kApiVersion,
                                                   "\")"));
  }
  const std::optional<YAML::Node> kind = Lookup(document, "kind");
  if (!kind.has_value() || kind->IsNull()) {
    return absl::InvalidArgumentError("kind: required (one of Service, Chain, Rule)");
  }
  v1::Resource resource;
  absl::StatusOr<google::protobuf::Message*> target = TargetFor(ScalarOr(kind, "?"), resource);
  if (!target.ok()) return target.status();

  absl::StatusOr<std::string> json = YamlToJson(document, *(*target)->GetDescriptor());
  if (!json.ok()) return json.status();
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  // Protobuf 3.21 has its own Status type, not absl's.
  if (const auto parsed = google::protobuf::util::JsonStringToMessage(*json, *target, options);
      !parsed.ok()) {
    return absl::InvalidArgumentError(parsed.message().ToString());
  }
  absl::Status status;
  switch (resource.kind_case()) {
    case v1::Resource::kService:
      status = Finish(*resource.mutable_service());
      break;
    case v1::Resource::kChain:
      status = Finish(*resource.mutable_chain());
      break;
    case v1::Resource::kRule:
      status = Finish(*resource.mutable_rule());
      break;
    case v1::Resource::KIND_NOT_SET:
      break;
  }
  if (!status.ok()) return status;
  return resource;
}

// Puts "SOURCE: document N (Kind "name"): " in front of a document's error.
absl::Status InDocument(const absl::Status& status, absl::string_view source,
                        absl::string_view label, const YAML::Node& document) {
  std::string context;
  if (document.IsMap()) {
    const std::string kind = ScalarOr(Lookup(document, "kind"), "");
    std::string name;
    if (std::optional<YAML::Node> metadata = Lookup(document, "metadata");
        metadata.has_value() && metadata->IsMap()) {
      name = ScalarOr(Lookup(*metadata, "name"), "");
    }
    if (!kind.empty() && !name.empty()) {
      context = absl::StrCat(" (", kind, " \"", name, "\")");
    } else if (!kind.empty()) {
      context = absl::StrCat(" (", kind, ")");
    } else if (!name.empty()) {
      context = absl::StrCat(" (\"", name, "\")");
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(source, ": ", label, context, ": ", status.message()));
}

bool IsList(const YAML::Node& document) {
  return document.IsMap() && ScalarOr(Lookup(document, "kind"), "") == "List" &&
         Lookup(document, "items").has_value();
}

absl::Status ParseList(const YAML::Node& list, absl::string_view source, absl::string_view label,
                       std::vector<v1::Resource>& out) {
  for (const auto& entry : list) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    if (key != "apiVersion" && key != "kind" && key != "metadata" && key != "items") {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": ", label, " (List): ", key, ": unknown field"));
    }
  }
  const YAML::Node items = *Lookup(list, "items");
  if (items.IsNull()) return absl::OkStatus();
  if (!items.IsSequence()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", label, " (List): items: expected a list"));
  }
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string item_label = absl::StrCat(label, ", item ", i + 1);
    absl::StatusOr<v1::Resource> resource = ParseDocument(items[i]);
    if (!resource.ok()) return InDocument(resource.status(), source, item_label, items[i]);
    out.push_back(*std::move(resource));
  }
  return absl::OkStatus();
}

// Reads at most kMaxManifestBytes: `-f /dev/zero` or a runaway pipe must
// end in an error, not in memory exhaustion.
absl::StatusOr<std::string> ReadBounded(std::istream& in, absl::string_view source) {
  std::string content;
  char buffer[64 * 1024];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    content.append(buffer, static_cast<size_t>(in.gcount()));
    if (content.size() > kMaxManifestBytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat(source, ": more than ", kMaxManifestBytes / (1024 * 1024),
                       " MiB of manifests in one file (split it, or apply a directory)"));
    }
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", source));
  return content;
}

absl::StatusOr<std::string> ReadFile(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  return ReadBounded(file, path.string());
}

// Records where each document starts and ignores everything else.
class DocumentStarts : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { last_start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  YAML::Mark last_start = YAML::Mark::null_mark();
};

// yaml-cpp 0.7's LoadAll never returns on some malformed input (e.g.
// "{a: 1},"): its parser keeps yielding documents that start at the same
// place. Walk the documents once first and refuse input that stops moving.
void CheckDocumentsAdvance(const std::string& content) {
  std::istringstream in(content);
  YAML::Parser parser(in);
  DocumentStarts starts;
  int previous = -1;
  while (parser.HandleNextDocument(starts)) {
    if (starts.last_start.pos == previous) {
      throw YAML::ParserException(starts.last_start, "malformed YAML: unexpected content");
    }
    previous = starts.last_start.pos;
  }
}

// yaml-cpp reads JSON as YAML, which JSON mostly is, with three exceptions
// that `onvmctl get -o json` output can hit, so that it would not apply
// again (fuzz_manifest found the first):
//   - an implicit key is at most 1024 characters long (YAML 1.2, 7.4.2), so
//     a map key longer than that (an env name; NUL bytes written as \u0000
//     take six each) is an error, "end of map flow not found";
//   - an implicit key ends on its own line, so a JSON key with a line break
//     before its colon is an error too;
//   - YAML has no UTF-16 surrogate pairs: "\udb40\udc41" (protobuf's JSON
//     printer escapes U+E0041 so, Python's json.dumps every character above
//     U+FFFF) is refused as invalid unicode.
// When `text` consists of JSON tokens only, this rewrites such keys as
// explicit YAML keys ("? " in front, which has neither limit) and surrogate
// pairs as \U escapes. It returns false, leaving `out` empty, for anything
// else (YAML, or JSON that needs no change), which is then parsed as it is.
bool JsonForYaml(absl::string_view text, std::string* out) {
  // Comfortably below yaml-cpp's 1024 (which counts from the key's start to
  // its colon).
  constexpr size_t kLongKey = 512;
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  auto hex4 = [&](size_t at, uint32_t* value) {
    if (at + 4 > text.size()) return false;
    *value = 0;
    for (size_t k = at; k < at + 4; ++k) {
      const char c = text[k];
      const int digit = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
      if (digit < 0) return false;
      *value = *value << 4 | static_cast<uint32_t>(digit);
    }
    return true;
  };
  size_t i = 0;
  while (i < text.size() && is_space(text[i])) ++i;
  if (i == text.size() || (text[i] != '{' && text[i] != '[')) return false;
  std::string result(text.substr(0, i));
  bool changed = false;
  int depth = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (is_space(c) || c == ',' || c == ':') {
      result.push_back(c);
      ++i;
    } else if (c == '{' || c == '[') {
      ++depth;
      result.push_back(c);
      ++i;
    } else if (c == '}' || c == ']') {
      if (--depth < 0) return false;
      result.push_back(c);
      ++i;
    } else if (c == '-' || (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+') {
      result.push_back(c);
      ++i;
    } else if (text.substr(i, 4) == "true" || text.substr(i, 4) == "null") {
      absl::StrAppend(&result, text.substr(i, 4));
      i += 4;
    } else if (text.substr(i, 5) == "false") {
      absl::StrAppend(&result, text.substr(i, 5));
      i += 5;
    } else if (c == '"') {
      // A string, copied with its surrogate pairs joined.
      const size_t start = i++;
      std::string token = "\"";
      for (;;) {
        if (i == text.size()) return false;
        const char d = text[i];
        if (static_cast<unsigned char>(d) < 0x20) return false;  // not JSON
        if (d == '"') break;
        if (d != '\\') {
          token.push_back(d);
          ++i;
          continue;
        }
        if (i + 1 == text.size()) return false;
        const char e = text[i + 1];
        uint32_t high = 0;
        uint32_t low = 0;
        if (e == 'u' && hex4(i + 2, &high) && high >= 0xd800 && high <= 0xdbff &&
            text.substr(i + 6, 2) == "\\u" && hex4(i + 8, &low) && low >= 0xdc00 && low <= 0xdfff) {
          absl::StrAppend(
              &token, "\\U",
              absl::Hex(0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00), absl::kZeroPad8));
          i += 12;
          changed = true;
        } else if (e == 'u') {
          if (!hex4(i + 2, &high)) return false;
          absl::StrAppend(&token, text.substr(i, 6));
          i += 6;
        } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                   e == 'r' || e == 't') {
          absl::StrAppend(&token, text.substr(i, 2));
          i += 2;
        } else {
          return false;
        }
      }
      token.push_back('"');
      ++i;
      // A key: the string is followed by a colon.
      size_t colon = i;
      while (colon < text.size() && is_space(text[colon])) ++colon;
      if (colon < text.size() && text[colon] == ':') {
        const absl::string_view span = text.substr(start, colon - start);
        if (span.size() >= kLongKey || span.find_first_of("\r\n") != absl::string_view::npos) {
          result.append("? ");
          changed = true;
        }
      }
      result.append(token);
    } else {
      return false;  // not a JSON token: YAML
    }
  }
  if (!changed) return false;
  *out = std::move(result);
  return true;
}

bool IsManifestFile(const fs::path& path) {
  const std::string extension = path.extension().string();
  return extension == ".yaml" || extension == ".yml" || extension == ".json";
}

}  // namespace

absl::StatusOr<std::vector<v1::Resource>> ParseManifests(absl::string_view content,
                                                         absl::string_view source) {
  std::vector<YAML::Node> documents;
  try {
    std::string text;
    if (!JsonForYaml(content, &text)) text = std::string(content);
    CheckDocumentsAdvance(text);
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": ", e.msg));
    }
    return absl::InvalidArgumentError(absl::StrCat(source, ": line ", e.mark.line + 1, ", column ",
                                                   e.mark.column + 1, ": ", e.msg));
  }
  std::vector<v1::Resource> resources;
  for (size_t i = 0; i < documents.size(); ++i) {
    const YAML::Node& document = documents[i];
    const std::string label = absl::StrCat("document ", i + 1);
    try {
      if (document.IsNull()) continue;
      if (IsList(document)) {
        if (absl::Status status = ParseList(document, source, label, resources); !status.ok()) {
          return status;
        }
        continue;
      }
      absl::StatusOr<v1::Resource> resource = ParseDocument(document);
      if (!resource.ok()) return InDocument(resource.status(), source, label, document);
      resources.push_back(*std::move(resource));
    } catch (const YAML::Exception& e) {
      // Not expected (lookups avoid throwing accessors), but a manifest must
      // never crash the CLI.
      return absl::InvalidArgumentError(absl::StrCat(source, ": ", label, ": ", e.msg));
    }
  }
  return resources;
}

absl::StatusOr<std::vector<v1::Resource>> LoadManifests(const std::string& path) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) {
    return absl::NotFoundError(absl::StrCat("the path \"", path, "\" does not exist"));
  }
  std::vector<fs::path> files;
  if (fs::is_directory(status)) {
    for (fs::recursive_directory_iterator it(path, error), end; !error && it != end;
         it.increment(error)) {
      if (it->is_regular_file(error) && IsManifestFile(it->path())) files.push_back(it->path());
    }
    if (error) {
      return absl::UnavailableError(absl::StrCat("cannot list ", path, ": ", error.message()));
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  std::vector<v1::Resource> resources;
  for (const fs::path& file : files) {
    absl::StatusOr<std::string> content = ReadFile(file);
    if (!content.ok()) return content.status();
    absl::StatusOr<std::vector<v1::Resource>> parsed = ParseManifests(*content, file.string());
    if (!parsed.ok()) return parsed.status();
    for (v1::Resource& resource : *parsed) resources.push_back(std::move(resource));
  }
  return resources;
}

absl::StatusOr<std::vector<v1::Resource>> LoadManifestArgs(const std::vector<std::string>& args,
                                                           std::istream& stdin_stream) {
  std::vector<v1::Resource> resources;
  for (const std::string& arg : args) {
    absl::StatusOr<std::vector<v1::Resource>> parsed;
    if (arg == "-") {
      absl::StatusOr<std::string> content = ReadBounded(stdin_stream, kStdinName);
      if (!content.ok()) return content.status();
      parsed = ParseManifests(*content, kStdinName);
    } else {
      parsed = LoadManifests(arg);
    }
    if (!parsed.ok()) return parsed.status();
    for (v1::Resource& resource : *parsed) resources.push_back(std::move(resource));
  }
  return resources;
}

absl::string_view ResourceKind(const v1::Resource& resource) {
  switch (resource.kind_case()) {
    case v1::Resource::kService:
      return "Service";
    case v1::Resource::kChain:
      return "Chain";
    case v1::Resource::kRule:
      return "Rule";
    case v1::Resource::KIND_NOT_SET:
      break;
  }
  return "";
}

const std::string& ResourceName(const v1::Resource& resource) {
  switch (resource.kind_case()) {
    case v1::Resource::kService:
      return resource.service().metadata().name();
    case v1::Resource::kChain:
      return resource.chain().metadata().name();
    case v1::Resource::kRule:
      return resource.rule().metadata().name();
    case v1::Resource::KIND_NOT_SET:
      break;
  }
  return v1::ObjectMeta::default_instance().name();
}

}  // namespace onvm::cli
