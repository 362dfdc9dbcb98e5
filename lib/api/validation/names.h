// Validation of names, label keys and label values with Kubernetes' rules.
//
// Each function returns the list of problems with its argument, empty when the argument is
// valid. The messages are Kubernetes' own, word for word (k8s.io/apimachinery
// pkg/util/validation), so errors built from them read the same as the Go API server's:
//
// Example:
//   std::vector<std::string> errs = IsDNS1123Label("My-Pod");
//   // errs[0] == "a lowercase RFC 1123 label must consist of lower case alphanumeric
//   //             characters or '-', and must start and end with an alphanumeric character
//   //             (e.g. 'my-name',  or '123-abc', regex used for validation is
//   //             '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
//
// The functions are pure and thread-safe. Lengths are in bytes, like Go's len().
#ifndef RUDDER_LIB_API_VALIDATION_NAMES_H_
#define RUDDER_LIB_API_VALIDATION_NAMES_H_

#include <string>
#include <string_view>
#include <vector>

namespace rudder::api::validation {

inline constexpr int kDNS1123LabelMaxLength = 63;
inline constexpr int kDNS1123SubdomainMaxLength = 253;
inline constexpr int kDNS1035LabelMaxLength = 63;
inline constexpr int kQualifiedNameMaxLength = 63;
inline constexpr int kLabelValueMaxLength = 63;

// A lowercase RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 bytes.
// Namespace names and most Service-related names use it.
std::vector<std::string> IsDNS1123Label(std::string_view value);

// A lowercase RFC 1123 subdomain: labels joined by '.', at most 253 bytes. Most object
// names (metadata.name) use it.
std::vector<std::string> IsDNS1123Subdomain(std::string_view value);

// An RFC 1035 label: [a-z]([-a-z0-9]*[a-z0-9])?, at most 63 bytes (Service names).
std::vector<std::string> IsDNS1035Label(std::string_view value);

// A qualified name: an optional DNS-1123 subdomain prefix and '/', then a name of at most
// 63 bytes matching ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]. Label and annotation keys.
std::vector<std::string> IsQualifiedName(std::string_view value);

// A label value: empty, or at most 63 bytes matching the qualified-name pattern.
std::vector<std::string> IsValidLabelValue(std::string_view value);

// Kubernetes' message helpers, for validators built on these rules.
std::string EmptyError();             // "must be non-empty"
std::string MaxLenError(int length);  // "must be no more than N characters"
// "<msg> (e.g. 'a',  or 'b', regex used for validation is '<fmt>')"; without examples
// "<msg> (regex used for validation is '<fmt>')".
std::string RegexError(std::string_view msg, std::string_view fmt,
                       const std::vector<std::string_view>& examples = {});

}  // namespace rudder::api::validation

#endif  // RUDDER_LIB_API_VALIDATION_NAMES_H_
