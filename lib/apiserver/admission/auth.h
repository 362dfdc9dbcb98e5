// Authentication and authorization of API requests: pluggable interfaces the REST server (and
// later the gRPC server) applies to every request, with allow-all implementations for local use.
// Full RBAC, tokens and client certificates build on these.
//
// Authenticators map a request's credentials to a UserInfo; Authorizers decide whether that
// user may do the request's verb on its resource. Authorizers compose as Kubernetes' union: the
// first Allow or Deny decides; when every one has no opinion the request is denied.
#ifndef RUDDER_LIB_APISERVER_ADMISSION_AUTH_H_
#define RUDDER_LIB_APISERVER_ADMISSION_AUTH_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/apiserver/admission/admission.h"

namespace rudder::apiserver::admission {

// The credentials-bearing parts of a request.
struct AuthRequest {
  std::string method;  // "GET"
  std::string path;    // "/api/v1/namespaces/default/pods"
  // A header's value ("" when absent); the name is case-insensitive.
  std::function<std::string(std::string_view name)> header;
};

// Finds who sends a request. Implementations are thread-safe.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // The user, or Unauthenticated (401) when the credentials are wrong or missing.
  virtual absl::StatusOr<UserInfo> Authenticate(const AuthRequest& request) = 0;
};

// Every request is the anonymous user (system:anonymous in group system:unauthenticated), as a
// Kubernetes server with anonymous authentication and no credentials configured.
std::unique_ptr<Authenticator> NewAnonymousAuthenticator();

// What a request does, for authorization (Kubernetes' authorizer.Attributes).
struct AuthzAttributes {
  UserInfo user;
  // "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"; for
  // non-resource paths the lowercase HTTP method.
  std::string verb;
  bool resource_request = true;  // false for paths such as /version and /healthz
  std::string api_group;
  std::string api_version;
  std::string resource;  // plural
  std::string subresource;
  std::string ns;
  std::string name;
  std::string path;  // the request path
};

enum class Decision { kAllow, kDeny, kNoOpinion };

// Decides whether a request may proceed. Implementations are thread-safe.
class Authorizer {
 public:
  virtual ~Authorizer() = default;
  // The decision and, for Deny, a reason appended to the 403 message.
  virtual Decision Authorize(const AuthzAttributes& a, std::string* reason) = 0;
};

// Allows everything (Kubernetes' AlwaysAllow mode).
std::unique_ptr<Authorizer> NewAlwaysAllowAuthorizer();
// Denies everything (AlwaysDeny).
std::unique_ptr<Authorizer> NewAlwaysDenyAuthorizer();
// The union of `authorizers` in order (first Allow or Deny wins; all NoOpinion: Deny).
std::unique_ptr<Authorizer> NewUnionAuthorizer(
    std::vector<std::unique_ptr<Authorizer>> authorizers);

// Runs `authorizer` and turns a refusal into Kubernetes' 403, e.g. `pods "x" is forbidden: User
// "jane" cannot get resource "pods" in API group "" in the namespace "default"`.
absl::Status Authorize(Authorizer& authorizer, const AuthzAttributes& a);

}  // namespace rudder::apiserver::admission

#endif  // RUDDER_LIB_APISERVER_ADMISSION_AUTH_H_
