#include "cli/yaml_to_json.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace onvm::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

std::string Child(const std::string& path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

absl::Status Error(const std::string& path, absl::string_view message) {
  return absl::InvalidArgumentError(path.empty() ? std::string(message)
                                                 : absl::StrCat(path, ": ", message));
}

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return absl::StrCat("\"", node.Scalar(), "\"");
    default:
      return "null";
  }
}

void AppendJsonString(absl::string_view text, std::string* out) {
  out->push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\r':
        out->append("\\r");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

// Well-formed UTF-8: no stray continuation bytes, overlong forms,
// surrogates or code points above U+10FFFF (what protobuf's string fields,
// and so the agent, accept).
bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= text.size()) return false;  // cut short
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

// A key for a field path: as it is when it is plain text, escaped otherwise.
std::string PathKey(absl::string_view key) {
  for (char c : key) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return absl::StrCat("\"", absl::CHexEscape(key), "\"");
    }
  }
  return std::string(key);
}

// YAML 1.2 core-schema booleans; the YAML 1.1 "yes"/"on" family is refused
// because it surprises people far more often than it helps.
std::optional<bool> ParseBool(absl::string_view text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  return std::nullopt;
}

bool IsJsonNumber(absl::string_view text) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i > start;
  };
  if (i < text.size() && text[i] == '-') ++i;
  if (i < text.size() && text[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == text.size();
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string UnknownFieldMessage(absl::string_view key, const Descriptor& descriptor) {
  const FieldDescriptor* best = nullptr;
  size_t best_distance = 3;  // Only near misses are worth suggesting.
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const FieldDescriptor* field = descriptor.field(i);
    const size_t distance = EditDistance(key, field->json_name());
    if (distance < best_distance) {
      best = field;
      best_distance = distance;
    }
  }
  if (best == nullptr) return "unknown field";
  return absl::StrCat("unknown field (did you mean \"", best->json_name(), "\"?)");
}

const FieldDescriptor* FindField(const Descriptor& descriptor, absl::string_view key) {
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const FieldDescriptor* field = descriptor.field(i);
    if (field->json_name() == key || field->name() == key) return field;
  }
  return nullptr;
}

class Converter {
 public:
  absl::Status Message(const YAML::Node& node, const Descriptor& descriptor,
                       const std::string& path) {
    if (node.IsNull()) {
      out_.append("null");
      return absl::OkStatus();
    }
    if (descriptor.file()->package() == "google.protobuf") {
      // Well-known types have their own JSON shapes; the parser checks them.
      return Untyped(node, path);
    }
    if (!node.IsMap()) {
      return Error(path, absl::StrCat("expected a mapping, got ", Describe(node)));
    }
    std::set<int> seen;
    std::map<int, const FieldDescriptor*> oneof_set;
    out_.push_back('{');
    bool first = true;
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {
        return Error(path,
                     absl::StrCat("field names must be strings, got ", Describe(entry.first)));
      }
      const std::string& key = entry.first.Scalar();
      const std::string field_path = Child(path, PathKey(key));
      const FieldDescriptor* field = FindField(descriptor, key);
      if (field == nullptr) return Error(field_path, UnknownFieldMessage(key, descriptor));
      if (!seen.insert(field->number()).second) return Error(field_path, "duplicate field");
      if (const auto* oneof = field->real_containing_oneof();
          oneof != nullptr && !entry.second.IsNull()) {
        auto [it, inserted] = oneof_set.emplace(oneof->index(), field);
        if (!inserted) {
          return Error(field_path, absl::StrCat("cannot be set together with \"",
                                                it->second->json_name(), "\" (only one of them)"));
        }
      }
      if (!first) out_.push_back(',');
      first = false;
      AppendJsonString(field->json_name(), &out_);
      out_.push_back(':');
      if (absl::Status status = Field(entry.second, *field, field_path); !status.ok()) {
        return status;
      }
    }
    out_.push_back('}');
    return absl::OkStatus();
  }

  std::string Take() { return std::move(out_); }

 private:
  absl::Status Field(const YAML::Node& node, const FieldDescriptor& field,
                     const std::string& path) {
    if (field.is_map()) return Map(node, field, path);
    if (!field.is_repeated()) return Value(node, field, path);
    if (node.IsNull()) {
      out_.append("[]");
      return absl::OkStatus();
    }
    if (!node.IsSequence()) {
      return Error(path, absl::StrCat("expected a list, got ", Describe(node)));
    }
    out_.push_back('[');
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string element_path = absl::StrCat(path, "[", i, "]");
      if (node[i].IsNull()) return Error(element_path, "null is not allowed in a list");
      if (i > 0) out_.push_back(',');
      if (absl::Status status = Value(node[i], field, element_path); !status.ok()) return status;
    }
    out_.push_back(']');
    return absl::OkStatus();
  }

  absl::Status Map(const YAML::Node& node, const FieldDescriptor& field, const std::string& path) {
    if (node.IsNull()) {
      out_.append("{}");
      return absl::OkStatus();
    }
    if (!node.IsMap()) {
      return Error(path, absl::StrCat("expected a mapping, got ", Describe(node)));
    }
    const FieldDescriptor& key_field = *field.message_type()->map_key();
    const FieldDescriptor& value_field = *field.message_type()->map_value();
    std::set<std::string> seen;
    out_.push_back('{');
    bool first = true;
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {
        return Error(path, absl::StrCat("keys must be scalars, got ", Describe(entry.first)));
      }
      const std::string& key = entry.first.Scalar();
      const std::string entry_path = Child(path, PathKey(key));
      if (!seen.insert(key).second) return Error(entry_path, "duplicate key");
      // Validates the key's type; its JSON form is always a string.
      Converter key_check;
      if (absl::Status status = key_check.Value(entry.first, key_field, entry_path); !status.ok()) {
        return status;
      }
      if (entry.second.IsNull()) return Error(entry_path, "null is not allowed as a map value");
      if (!first) out_.push_back(',');
      first = false;
      AppendJsonString(key, &out_);
      out_.push_back(':');
      if (absl::Status status = Value(entry.second, value_field, entry_path); !status.ok()) {
        return status;
      }
    }
    out_.push_back('}');
    return absl::OkStatus();
  }

  // One singular value (or one element of a repeated field).
  absl::Status Value(const YAML::Node& node, const FieldDescriptor& field,
                     const std::string& path) {
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      return Message(node, *field.message_type(), path);
    }
    if (node.IsNull()) {
      out_.append("null");
      return absl::OkStatus();
    }
    if (!node.IsScalar()) {
      return Error(path,
                   absl::StrCat("expected ", ExpectedScalar(field), ", got ", Describe(node)));
    }
    const std::string& text = node.Scalar();
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        if (!IsValidUtf8(text)) {
          return Error(path,
                       absl::StrCat("\"", absl::CHexEscape(text.substr(0, 64)),
                                    text.size() > 64 ? "...\"" : "\"", " is not valid UTF-8 text"));
        }
        AppendJsonString(text, &out_);
        return absl::OkStatus();
      case FieldDescriptor::CPPTYPE_BOOL:
        if (std::optional<bool> value = ParseBool(text)) {
          out_.append(*value ? "true" : "false");
          return absl::OkStatus();
        }
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        if (int32_t v; absl::SimpleAtoi(text, &v)) return AppendNumber(absl::StrCat(v));
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        if (uint32_t v; absl::SimpleAtoi(text, &v)) return AppendNumber(absl::StrCat(v));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        // Quoted, as proto3 JSON writes 64-bit integers, so no JSON reader on
        // the way rounds them through a double.
        if (int64_t v; absl::SimpleAtoi(text, &v)) return AppendQuoted(absl::StrCat(v));
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        if (uint64_t v; absl::SimpleAtoi(text, &v)) return AppendQuoted(absl::StrCat(v));
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
      case FieldDescriptor::CPPTYPE_DOUBLE:
        if (double v; absl::SimpleAtod(text, &v)) return AppendQuoted(text);
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        if (int32_t v; absl::SimpleAtoi(text, &v)) return AppendNumber(absl::StrCat(v));
        AppendJsonString(text, &out_);  // The parser checks the name.
        return absl::OkStatus();
      case FieldDescriptor::CPPTYPE_MESSAGE:
        break;  // Handled above.
    }
    return Error(path, absl::StrCat("expected ", ExpectedScalar(field), ", got ", Describe(node)));
  }

  // Any YAML, for fields whose schema is not a plain message: plain scalars
  // that look like JSON literals keep that type, everything else is a string.
  absl::Status Untyped(const YAML::Node& node, const std::string& path) {
    switch (node.Type()) {
      case YAML::NodeType::Map: {
        out_.push_back('{');
        bool first = true;
        for (const auto& entry : node) {
          if (!entry.first.IsScalar()) return Error(path, "keys must be scalars");
          if (!first) out_.push_back(',');
          first = false;
          AppendJsonString(entry.first.Scalar(), &out_);
          out_.push_back(':');
          if (absl::Status s = Untyped(entry.second, Child(path, entry.first.Scalar())); !s.ok()) {
            return s;
          }
        }
        out_.push_back('}');
        return absl::OkStatus();
      }
      case YAML::NodeType::Sequence:
        out_.push_back('[');
        for (size_t i = 0; i < node.size(); ++i) {
          if (i > 0) out_.push_back(',');
          if (absl::Status s = Untyped(node[i], absl::StrCat(path, "[", i, "]")); !s.ok()) {
            return s;
          }
        }
        out_.push_back(']');
        return absl::OkStatus();
      case YAML::NodeType::Scalar: {
        const std::string& text = node.Scalar();
        const bool plain = node.Tag() != "!";
        if (plain && ParseBool(text).has_value()) {
          out_.append(*ParseBool(text) ? "true" : "false");
        } else if (plain && IsJsonNumber(text)) {
          out_.append(text);
        } else {
          AppendJsonString(text, &out_);
        }
        return absl::OkStatus();
      }
      default:
        out_.append("null");
        return absl::OkStatus();
    }
  }

  absl::Status AppendNumber(const std::string& text) {
    out_.append(text);
    return absl::OkStatus();
  }

  absl::Status AppendQuoted(const std::string& text) {
    AppendJsonString(text, &out_);
    return absl::OkStatus();
  }

  static std::string ExpectedScalar(const FieldDescriptor& field) {
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        return "a string";
      case FieldDescriptor::CPPTYPE_BOOL:
        return "true or false";
      case FieldDescriptor::CPPTYPE_INT32:
        return "an integer from -2147483648 to 2147483647";
      case FieldDescriptor::CPPTYPE_UINT32:
        return "an integer from 0 to 4294967295";
      case FieldDescriptor::CPPTYPE_INT64:
        return "a 64-bit integer";
      case FieldDescriptor::CPPTYPE_UINT64:
        return "a non-negative 64-bit integer";
      case FieldDescriptor::CPPTYPE_FLOAT:
      case FieldDescriptor::CPPTYPE_DOUBLE:
        return "a number";
      case FieldDescriptor::CPPTYPE_ENUM:
        return absl::StrCat("one of the ", field.enum_type()->name(), " values");
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return "a mapping";
    }
    return "a value";
  }

  std::string out_;
};

}  // namespace

absl::StatusOr<std::string> YamlToJson(const YAML::Node& node, const Descriptor& descriptor) {
  Converter converter;
  if (absl::Status status = converter.Message(node, descriptor, ""); !status.ok()) return status;
  return converter.Take();
}

}  // namespace onvm::cli
