#include "lib/apiserver/admission/auth.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/apiserver/registry/errors.h"

namespace rudder::apiserver::admission {
namespace {

class AnonymousAuthenticator : public Authenticator {
 public:
  absl::StatusOr<UserInfo> Authenticate(const AuthRequest&) override {
    UserInfo u;
    u.name = "system:anonymous";
    u.groups = {"system:unauthenticated"};
    return u;
  }
};

class FixedAuthorizer : public Authorizer {
 public:
  explicit FixedAuthorizer(Decision d) : d_(d) {}
  Decision Authorize(const AuthzAttributes&, std::string*) override { return d_; }

 private:
  Decision d_;
};

class UnionAuthorizer : public Authorizer {
 public:
  explicit UnionAuthorizer(std::vector<std::unique_ptr<Authorizer>> a) : all_(std::move(a)) {}
  Decision Authorize(const AuthzAttributes& a, std::string* reason) override {
    for (const std::unique_ptr<Authorizer>& z : all_) {
      Decision d = z->Authorize(a, reason);
      if (d != Decision::kNoOpinion) return d;
    }
    return Decision::kDeny;
  }

 private:
  std::vector<std::unique_ptr<Authorizer>> all_;
};

}  // namespace

std::unique_ptr<Authenticator> NewAnonymousAuthenticator() {
  return std::make_unique<AnonymousAuthenticator>();
}

std::unique_ptr<Authorizer> NewAlwaysAllowAuthorizer() {
  return std::make_unique<FixedAuthorizer>(Decision::kAllow);
}

std::unique_ptr<Authorizer> NewAlwaysDenyAuthorizer() {
  return std::make_unique<FixedAuthorizer>(Decision::kDeny);
}

std::unique_ptr<Authorizer> NewUnionAuthorizer(
    std::vector<std::unique_ptr<Authorizer>> authorizers) {
  return std::make_unique<UnionAuthorizer>(std::move(authorizers));
}

absl::Status Authorize(Authorizer& authorizer, const AuthzAttributes& a) {
  std::string reason;
  if (authorizer.Authorize(a, &reason) == Decision::kAllow) return absl::OkStatus();
  std::string why;
  if (!a.resource_request) {
    why = absl::StrCat("User \"", a.user.name, "\" cannot ", a.verb, " path \"", a.path, "\"");
    if (!reason.empty()) absl::StrAppend(&why, ": ", reason);
    return absl::PermissionDeniedError(absl::StrCat("forbidden: ", why));
  }
  std::string resource = a.resource;
  if (!a.subresource.empty()) absl::StrAppend(&resource, "/", a.subresource);
  why = absl::StrCat("User \"", a.user.name, "\" cannot ", a.verb, " resource \"", resource,
                     "\" in API group \"", a.api_group, "\"");
  if (a.ns.empty()) {
    absl::StrAppend(&why, " at the cluster scope");
  } else {
    absl::StrAppend(&why, " in the namespace \"", a.ns, "\"");
  }
  if (!reason.empty()) absl::StrAppend(&why, ": ", reason);
  std::string qualified = a.api_group.empty() ? resource : absl::StrCat(resource, ".", a.api_group);
  return WithDetails(ForbiddenError(qualified, a.name, why), a.api_group, a.resource, a.name);
}

}  // namespace rudder::apiserver::admission
