// Reading the files that security flags name (--tls-cert, --tls-key,
// --tls-client-ca, --token-file), with errors that name the flag, so a
// misconfigured agent stops at start saying which flag to fix.
#ifndef ONVM_AGENT_FLAG_FILE_H_
#define ONVM_AGENT_FLAG_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace onvm::agent {

enum class FileSecrecy {
  kPublic,  // certificates: anyone may read them
  // keys and tokens: refused when others (o+r or o+w) may read or replace
  // them; the owner and the group are trusted.
  kSecret,
};

// The contents of the regular file at `path`, at most 1 MiB, not empty.
absl::StatusOr<std::string> ReadFlagFile(const std::string& flag, const std::string& path,
                                         FileSecrecy secrecy);

}  // namespace onvm::agent

#endif  // ONVM_AGENT_FLAG_FILE_H_
