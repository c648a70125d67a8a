// Column-aligned text tables in the style of kubectl's default output.
#ifndef ONVM_CLI_TABLE_H_
#define ONVM_CLI_TABLE_H_

#include <string>
#include <vector>

namespace onvm::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

  // Rows shorter than the header are padded with empty cells; extra cells
  // are dropped.
  void AddRow(std::vector<std::string> cells);

  size_t row_count() const { return rows_.size(); }

  // Each column is as wide as its widest cell, separated by three spaces
  // like kubectl; the last column is not padded, so lines carry no trailing
  // blanks. Ends with a newline.
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace onvm::cli

#endif  // ONVM_CLI_TABLE_H_
