// Reading onvm manifests: YAML or JSON documents in the Kubernetes shape
// (apiVersion, kind, metadata, spec), each one Service, Chain or Rule.
#ifndef ONVM_CLI_MANIFEST_H_
#define ONVM_CLI_MANIFEST_H_

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "onvm/v1/apply.pb.h"

namespace onvm::cli {

inline constexpr absl::string_view kApiVersion = "onvm/v1";
inline constexpr absl::string_view kStdinName = "<stdin>";
// A manifest file (or stdin) larger than this is refused.
inline constexpr size_t kMaxManifestBytes = 16u << 20;

// Parses `content`: one or more YAML documents separated by `---`, or JSON
// (one object, or a `{"kind": "List", "items": [...]}` object). Empty
// documents are skipped. `source` names the content in errors, which read
// `SOURCE: document N (Kind "name"): FIELD.PATH: problem`; N counts from 1
// and includes empty documents, so it is the N-th document in the file.
//
// Only the shape is checked here (known fields, field types, apiVersion,
// kind, metadata.name is a DNS label); whether references resolve and
// values make sense is the server's job. Output-only fields (status,
// metadata.generation) are accepted and dropped, so that the output of
// `onvmctl get -o yaml` can be applied again.
absl::StatusOr<std::vector<v1::Resource>> ParseManifests(absl::string_view content,
                                                         absl::string_view source);

// Reads the manifests in a file, or in every *.yaml, *.yml and *.json file
// below a directory (recursively: depth-first, each directory's entries in
// name order, as kubectl walks a directory).
absl::StatusOr<std::vector<v1::Resource>> LoadManifests(const std::string& path);

// LoadManifests over each `-f` argument in turn; "-" reads `stdin`.
absl::StatusOr<std::vector<v1::Resource>> LoadManifestArgs(const std::vector<std::string>& args,
                                                           std::istream& stdin_stream);

// "Service", "Chain" or "Rule"; empty for an empty Resource.
absl::string_view ResourceKind(const v1::Resource& resource);

// metadata.name of whichever resource is set.
const std::string& ResourceName(const v1::Resource& resource);

}  // namespace onvm::cli

#endif  // ONVM_CLI_MANIFEST_H_
