#include "agent/stats_source.h"

#include "absl/strings/str_cat.h"
#include "agent/log.h"

namespace onvm::agent {

std::shared_ptr<const StatsReader> StatsSource::Get() {
  absl::MutexLock lock(&mu_);
  if (reader_ != nullptr && !reader_->Replaced()) return reader_;
  reader_.reset();
  absl::StatusOr<std::unique_ptr<StatsReader>> opened = StatsReader::Open(paths_);
  if (!opened.ok()) {
    // Scrapes retry every few seconds; log each new reason once.
    if (last_error_ != opened.status().message()) {
      last_error_ = std::string(opened.status().message());
      LogWarning(absl::StrCat("stats segment unavailable: ", last_error_));
    }
    return nullptr;
  }
  reader_ = std::move(*opened);
  last_error_.clear();
  LogInfo(absl::StrCat("opened stats segment ", paths_.stats_path, " (boot id ",
                       reader_->header().boot_id, ")"));
  return reader_;
}

}  // namespace onvm::agent
