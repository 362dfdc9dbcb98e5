// CNI plugin results and errors as typed values.
//
// A result is what ADD prints on success: the interfaces it created, the IP addresses it
// assigned (each pointing at an interface by index), routes and DNS settings. Results in the
// 0.3.x, 0.4.0 and 1.0.0 formats share one shape; 0.1.0/0.2.0 results (ip4/ip6 objects) are
// converted to it. An error is what a plugin prints when it fails: {code, msg, details}.
// All types are plain values; functions are thread-safe.
#ifndef RUDDER_LIB_RUNTIME_CNI_RESULT_H_
#define RUDDER_LIB_RUNTIME_CNI_RESULT_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rudder::cni {

// An interface a plugin created or configured. `sandbox` is the network namespace path for an
// interface inside the container, empty for a host interface.
struct Interface {
  std::string name;
  std::string mac;
  std::string sandbox;
  std::optional<int> mtu;
};

// An assigned address in CIDR form ("10.1.2.3/24"), its gateway, and the index into
// Result::interfaces of the interface it is on (absent if the plugin did not say).
struct IpConfig {
  std::string address;
  std::string gateway;
  std::optional<int> interface;

  // The address without its prefix length ("10.1.2.3").
  std::string Ip() const;
  // True for an IPv6 address.
  bool IsV6() const;
};

// A route: destination in CIDR form and optional gateway.
struct Route {
  std::string dst;
  std::string gw;
};

// DNS settings a plugin suggests for the container.
struct Dns {
  std::vector<std::string> nameservers;
  std::string domain;
  std::vector<std::string> search;
  std::vector<std::string> options;
};

// A plugin's successful ADD result.
struct Result {
  std::string cni_version;
  std::vector<Interface> interfaces;
  std::vector<IpConfig> ips;
  std::vector<Route> routes;
  Dns dns;
  // The JSON text the plugin printed; passed on as prevResult and kept in the cache.
  std::string json;
};

// Parses a result. `default_version` is used when the result has no cniVersion field.
// InvalidArgument with a field path for malformed results (e.g. "ips[0].address").
absl::StatusOr<Result> ParseResult(std::string_view json, std::string_view default_version = "");

// The error codes the CNI spec reserves (plugins may use 100 and above for their own).
enum ErrorCode : int {
  kIncompatibleVersion = 1,
  kUnsupportedField = 2,
  kContainerUnknown = 3,
  kInvalidEnvironment = 4,
  kIoFailure = 5,
  kDecodeFailure = 6,
  kInvalidNetworkConfig = 7,
  kTryAgainLater = 11,
};

// A plugin's error output.
struct PluginError {
  int code = 0;
  std::string msg;
  std::string details;
};

// Parses a plugin's error output; InvalidArgument if it is not an error object.
absl::StatusOr<PluginError> ParseError(std::string_view json);

// Turns a plugin error into a status whose message carries the plugin's message and details:
// code 3 -> NotFound, 1 -> FailedPrecondition, 2/4/6/7 -> InvalidArgument, 11 -> Unavailable,
// 5 -> Internal, others -> Unknown. The CNI code rides along as a payload (see ErrorCodeOf).
absl::Status ErrorToStatus(const PluginError& error, std::string_view context);

// The CNI error code carried by a status from ErrorToStatus, if any.
std::optional<int> ErrorCodeOf(const absl::Status& status);

}  // namespace rudder::cni

#endif  // RUDDER_LIB_RUNTIME_CNI_RESULT_H_
