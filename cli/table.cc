#include "cli/table.h"

#include <algorithm>

namespace onvm::cli {
namespace {

constexpr size_t kGap = 3;

void AppendLine(const std::vector<std::string>& cells, const std::vector<size_t>& widths,
                std::string& out) {
  for (size_t i = 0; i < cells.size(); ++i) {
    out.append(cells[i]);
    if (i + 1 < cells.size()) out.append(widths[i] - cells[i].size() + kGap, ' ');
  }
  out.push_back('\n');
}

}  // namespace

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> widths(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) widths[i] = headers_[i].size();
  for (const std::vector<std::string>& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  AppendLine(headers_, widths, out);
  for (const std::vector<std::string>& row : rows_) AppendLine(row, widths, out);
  return out;
}

}  // namespace onvm::cli
