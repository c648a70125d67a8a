#include "cli/json_format.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace onvm::cli {
namespace {

constexpr int kIndent = 4;

void NewLine(int depth, std::string& out) {
  out.push_back('\n');
  out.append(static_cast<size_t>(depth * kIndent), ' ');
}

size_t SkipSpace(absl::string_view text, size_t i) {
  while (i < text.size() &&
         (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r')) {
    ++i;
  }
  return i;
}

}  // namespace

std::string PrettyJson(absl::string_view compact) {
  std::string out;
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < compact.size(); ++i) {
    const char c = compact[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < compact.size()) {
        out.push_back(compact[++i]);
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        out.push_back(c);
        break;
      case '{':
      case '[': {
        const size_t next = SkipSpace(compact, i + 1);
        if (next < compact.size() && compact[next] == (c == '{' ? '}' : ']')) {
          out.push_back(c);
          out.push_back(compact[next]);
          i = next;
          break;
        }
        out.push_back(c);
        NewLine(++depth, out);
        break;
      }
      case '}':
      case ']':
        NewLine(--depth, out);
        out.push_back(c);
        break;
      case ',':
        out.push_back(c);
        NewLine(depth, out);
        break;
      case ':':
        out.append(": ");
        break;
      case ' ':
      case '\n':
      case '\t':
      case '\r':
        break;
      default:
        out.push_back(c);
    }
  }
  out.push_back('\n');
  return out;
}

absl::StatusOr<std::string> FormatJson(const std::vector<const google::protobuf::Message*>& items,
                                       bool as_list) {
  std::string compact;
  if (as_list || items.size() != 1) {
    compact = R"({"apiVersion":"onvm/v1","kind":"List","items":[)";
  }
  for (size_t i = 0; i < items.size(); ++i) {
    std::string item;
    if (const auto status = google::protobuf::util::MessageToJsonString(*items[i], &item);
        !status.ok()) {
      return absl::InternalError(
          absl::StrCat("cannot print as JSON: ", status.message().ToString()));
    }
    if (i > 0) compact.push_back(',');
    compact.append(item);
  }
  if (as_list || items.size() != 1) compact.append("]}");
  return PrettyJson(compact);
}

}  // namespace onvm::cli
