#include "cli/yaml_format.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "yaml-cpp/yaml.h"

namespace onvm::cli {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void EmitString(const std::string& text, YAML::Emitter& out) {
  if (YamlNeedsQuotes(text)) out << YAML::DoubleQuoted;
  out << text;
}

// Whether `key` must be written as an explicit key ("? key" on its own line,
// then ": value"). yaml-cpp's parser takes implicit keys of at most 1024
// characters as written (YAML 1.2 allows no more), but its emitter switches
// to explicit keys only for keys longer than that before escaping, so a key
// of 300 NUL bytes, written as 1200 characters of \x00, did not parse back
// (fuzz_manifest). The threshold leaves room for the quotes and the colon.
bool NeedsExplicitKey(const std::string& key) {
  constexpr size_t kLongKey = 512;
  if (key.size() >= kLongKey) return true;
  YAML::Emitter probe;
  EmitString(key, probe);
  return probe.size() >= kLongKey;
}

// A finite number in the shortest form that reads back as the same value
// ("1e-06", as protobuf's JSON printer writes it), where yaml-cpp would
// write 17 significant digits ("9.9999999999999995e-07"). Infinities and
// NaN keep yaml-cpp's spelling.
template <typename T>
void EmitFloat(T value, YAML::Emitter& out) {
  std::array<char, 64> text;
  const auto [end, error] = std::to_chars(text.data(), text.data() + text.size(), value);
  if (!std::isfinite(value) || error != std::errc()) {
    out << value;
    return;
  }
  out << std::string(text.data(), end);
}

void EmitMessage(const Message& message, YAML::Emitter& out);

// One value of `field`: the singular value, or element `index` of a
// repeated field.
void EmitValue(const Message& message, const FieldDescriptor& field, int index,
               YAML::Emitter& out) {
  const Reflection& r = *message.GetReflection();
  const bool repeated = field.is_repeated();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      out << (repeated ? r.GetRepeatedInt32(message, &field, index) : r.GetInt32(message, &field));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      out << (repeated ? r.GetRepeatedInt64(message, &field, index) : r.GetInt64(message, &field));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      out << (repeated ? r.GetRepeatedUInt32(message, &field, index)
                       : r.GetUInt32(message, &field));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      out << (repeated ? r.GetRepeatedUInt64(message, &field, index)
                       : r.GetUInt64(message, &field));
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      EmitFloat(
          repeated ? r.GetRepeatedDouble(message, &field, index) : r.GetDouble(message, &field),
          out);
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      EmitFloat(repeated ? r.GetRepeatedFloat(message, &field, index) : r.GetFloat(message, &field),
                out);
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      out << (repeated ? r.GetRepeatedBool(message, &field, index) : r.GetBool(message, &field));
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      out << (repeated ? r.GetRepeatedEnum(message, &field, index) : r.GetEnum(message, &field))
                 ->name();
      break;
    case FieldDescriptor::CPPTYPE_STRING:
      EmitString(
          repeated ? r.GetRepeatedString(message, &field, index) : r.GetString(message, &field),
          out);
      break;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      EmitMessage(
          repeated ? r.GetRepeatedMessage(message, &field, index) : r.GetMessage(message, &field),
          out);
      break;
  }
}

// Map entries, sorted by key so that output is stable.
void EmitMap(const Message& message, const FieldDescriptor& field, YAML::Emitter& out) {
  const Reflection& r = *message.GetReflection();
  const FieldDescriptor& key = *field.message_type()->map_key();
  const FieldDescriptor& value = *field.message_type()->map_value();
  std::vector<std::pair<std::string, const Message*>> entries;
  for (int i = 0; i < r.FieldSize(message, &field); ++i) {
    const Message& entry = r.GetRepeatedMessage(message, &field, i);
    const Reflection& er = *entry.GetReflection();
    std::string key_text;
    switch (key.cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        key_text = er.GetString(entry, &key);
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        key_text = absl::StrCat(er.GetInt32(entry, &key));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        key_text = absl::StrCat(er.GetInt64(entry, &key));
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        key_text = absl::StrCat(er.GetUInt32(entry, &key));
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        key_text = absl::StrCat(er.GetUInt64(entry, &key));
        break;
      default:
        key_text = er.GetBool(entry, &key) ? "true" : "false";
    }
    entries.emplace_back(std::move(key_text), &entry);
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  out << YAML::BeginMap;
  for (const auto& [key_text, entry] : entries) {
    if (NeedsExplicitKey(key_text)) out << YAML::LongKey;
    out << YAML::Key;
    EmitString(key_text, out);
    out << YAML::Value;
    EmitValue(*entry, value, -1, out);
  }
  out << YAML::EndMap;
}

void EmitMessage(const Message& message, YAML::Emitter& out) {
  std::vector<const FieldDescriptor*> fields;
  // ListFields gives the fields JSON would print by default (set, non-empty
  // or non-default), in field-number order.
  message.GetReflection()->ListFields(message, &fields);
  out << YAML::BeginMap;
  for (const FieldDescriptor* field : fields) {
    out << YAML::Key << field->json_name() << YAML::Value;
    if (field->is_map()) {
      EmitMap(message, *field, out);
    } else if (field->is_repeated()) {
      out << YAML::BeginSeq;
      for (int i = 0; i < message.GetReflection()->FieldSize(message, field); ++i) {
        EmitValue(message, *field, i, out);
      }
      out << YAML::EndSeq;
    } else {
      EmitValue(message, *field, -1, out);
    }
  }
  out << YAML::EndMap;
}

}  // namespace

bool YamlNeedsQuotes(absl::string_view text) {
  static constexpr std::array<absl::string_view, 12> kWords = {
      "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf", ".nan"};
  const std::string lower = absl::AsciiStrToLower(text);
  if (text.empty()) return true;
  // Control characters (a plain scalar loses a trailing \r) and leading or
  // trailing spaces only survive a round trip inside quotes.
  if (text.front() == ' ' || text.back() == ' ') return true;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  for (absl::string_view word : kWords) {
    if (lower == word || lower == absl::StrCat("+", word) || lower == absl::StrCat("-", word)) {
      return true;
    }
  }
  if (double unused; absl::SimpleAtod(text, &unused)) return true;
  // Hex and octal integers, and YAML 1.1's base-60 numbers ("02:00"), which
  // would swallow MAC addresses and times.
  const bool numeric_start = absl::ascii_isdigit(static_cast<unsigned char>(text[0]));
  return numeric_start && (absl::StartsWith(lower, "0x") || absl::StartsWith(lower, "0o") ||
                           text.find(':') != absl::string_view::npos);
}

std::string FormatYaml(const std::vector<const Message*>& items, bool as_list) {
  YAML::Emitter out;
  if (as_list || items.size() != 1) {
    out << YAML::BeginMap << YAML::Key << "apiVersion" << YAML::Value << "onvm/v1" << YAML::Key
        << "kind" << YAML::Value << "List" << YAML::Key << "items" << YAML::Value;
    if (items.empty()) {
      out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
    } else {
      out << YAML::BeginSeq;
      for (const Message* item : items) EmitMessage(*item, out);
      out << YAML::EndSeq;
    }
    out << YAML::EndMap;
  } else {
    EmitMessage(*items.front(), out);
  }
  return absl::StrCat(out.c_str(), "\n");
}

}  // namespace onvm::cli
