// Status propagation macros (Debian's Abseil 20220623 has none of its own).
//
// Example:
//   absl::StatusOr<int> ParsePort(absl::string_view s);
//   absl::Status Listen(absl::string_view s) {
//     RUDDER_ASSIGN_OR_RETURN(int port, ParsePort(s));
//     RUDDER_RETURN_IF_ERROR(Bind(port));
//     return absl::OkStatus();
//   }
#ifndef RUDDER_LIB_BASE_STATUS_MACROS_H_
#define RUDDER_LIB_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status) and returns it from the enclosing function if not OK.
#define RUDDER_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status rudder_status_ = (expr);          \
    if (!rudder_status_.ok()) return rudder_status_; \
  } while (0)

#define RUDDER_STATUS_CONCAT_INNER_(a, b) a##b
#define RUDDER_STATUS_CONCAT_(a, b) RUDDER_STATUS_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, else moves the value
// into `lhs`, which may be a declaration (`auto x`) or an existing lvalue.
#define RUDDER_ASSIGN_OR_RETURN(lhs, rexpr) \
  RUDDER_ASSIGN_OR_RETURN_IMPL_(RUDDER_STATUS_CONCAT_(rudder_statusor_, __LINE__), lhs, rexpr)

#define RUDDER_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = *std::move(statusor)

#endif  // RUDDER_LIB_BASE_STATUS_MACROS_H_
