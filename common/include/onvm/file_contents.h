// Reading a whole (small) file: flag files, certificates, tokens.
#ifndef ONVM_FILE_CONTENTS_H_
#define ONVM_FILE_CONTENTS_H_

#include <string>

#include "absl/status/statusor.h"

namespace onvm {

// The file's bytes. On failure the status message is the reason alone (the
// strerror text of a failed open, or "read error"), for the caller to put
// after the name of what it was reading.
absl::StatusOr<std::string> ReadFileContents(const std::string& path);

}  // namespace onvm

#endif  // ONVM_FILE_CONTENTS_H_
