// The built-in kinds: every kind Kubernetes serves that Rudder implements, with Kubernetes'
// resource names, short names, categories, scope and subresources.
#ifndef RUDDER_LIB_API_SCHEME_BUILTIN_H_
#define RUDDER_LIB_API_SCHEME_BUILTIN_H_

#include <memory>

#include "absl/status/status.h"
#include "lib/api/scheme/scheme.h"

namespace rudder::api {

// Registers every built-in kind in `scheme`. AlreadyExists if one is there already.
absl::Status RegisterBuiltinKinds(Scheme& scheme);

// A new scheme holding exactly the built-in kinds. Host programs add their own kinds to it.
std::unique_ptr<Scheme> NewBuiltinScheme();

}  // namespace rudder::api

#endif  // RUDDER_LIB_API_SCHEME_BUILTIN_H_
