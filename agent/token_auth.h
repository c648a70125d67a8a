// The optional bearer token that guards the agent's mutating RPCs
// (onvm-agent --token-file).
//
// Policy:
// - A call to a method that changes state needs `authorization: Bearer
//   <token>` metadata with the configured token; without it (or with another
//   token) it fails with UNAUTHENTICATED before its handler runs, so it
//   changes nothing.
// - Read-only calls (Get*, List*, Watch*, health, reflection) need no token:
//   reading the desired and observed state is what monitoring, `onvmctl get`
//   and dashboards do, and the address, TLS and mTLS already decide who may
//   connect at all. A token that is presented must still be the right one,
//   on every call, so a misconfigured client learns it at once.
// - Which methods are read-only is derived from the method name, not listed
//   per RPC: onvm.v1 methods named Get*, List* or Watch* read; every other
//   onvm.v1 method (Create*, Update*, Delete*, Apply, Scale*, Drain*, and any
//   method added later under a new verb) needs the token. Unknown names are
//   treated as mutating, so a new RPC is guarded until someone decides
//   otherwise. validate_only requests of mutating methods need the token
//   too: they are writes that a dry run previews.
//
// The check runs in gRPC's auth metadata processor, which sees the call's
// path and headers before any handler, for every service registered now or
// later.
#ifndef ONVM_AGENT_TOKEN_AUTH_H_
#define ONVM_AGENT_TOKEN_AUTH_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onvm::agent {

// Reads the token from `path` (named by `flag` in errors). Fails when the
// file is missing, empty, readable or writable by others (o+rw: anyone on
// the machine could then use or replace it), or holds characters that
// cannot travel in a header. Surrounding whitespace (a trailing newline) is
// dropped.
absl::StatusOr<std::string> ReadTokenFile(const std::string& flag, const std::string& path);

// Whether the method at `path` ("/onvm.v1.Services/CreateService") changes
// state, by the rule above.
bool IsMutatingMethod(absl::string_view path);

// Whether `expected` (the configured token) and `presented` are equal, in
// time that depends only on the length of `expected`: how long a wrong
// token took to refuse says nothing about how much of it was right.
bool ConstantTimeEquals(absl::string_view expected, absl::string_view presented);

// The decision for one call: `path` and the value of its authorization
// header (nullopt when absent) against `token`. OK, or UNAUTHENTICATED with
// a message saying what to send.
absl::Status CheckCall(absl::string_view token, absl::string_view path,
                       const std::optional<absl::string_view>& authorization);

}  // namespace onvm::agent

#endif  // ONVM_AGENT_TOKEN_AUTH_H_
