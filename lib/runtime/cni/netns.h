// Named network namespaces, kept alive by a bind mount under a directory (/run/netns by
// default, the layout `ip netns` uses, so `ip netns exec <name>` sees them too).
// Creating one needs CAP_SYS_ADMIN (root).
#ifndef RUDDER_LIB_RUNTIME_CNI_NETNS_H_
#define RUDDER_LIB_RUNTIME_CNI_NETNS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rudder::cni {

// An owned network namespace; removed when destroyed unless Release()d. Not thread-safe.
class NetNamespace {
 public:
  // Creates a new, empty network namespace mounted at <dir>/<name>. AlreadyExists if the name is
  // taken, PermissionDenied without the privilege, InvalidArgument for a name with '/'.
  static absl::StatusOr<std::unique_ptr<NetNamespace>> Create(
      const std::string& name, const std::string& dir = "/run/netns");

  ~NetNamespace();
  NetNamespace(const NetNamespace&) = delete;
  NetNamespace& operator=(const NetNamespace&) = delete;

  // The path to hand to CNI as CNI_NETNS.
  const std::string& path() const { return path_; }
  // The name given to Create.
  const std::string& name() const { return name_; }

  // Unmounts and deletes the namespace now.
  absl::Status Remove();
  // Keeps the namespace after destruction (remove it with RemoveNetNamespace).
  void Release() { path_.clear(); }

 private:
  NetNamespace(std::string name, std::string path)
      : name_(std::move(name)), path_(std::move(path)) {}

  std::string name_;
  std::string path_;
};

// Unmounts and deletes a namespace mounted at `path`; OK if it does not exist.
absl::Status RemoveNetNamespace(const std::string& path);

}  // namespace rudder::cni

#endif  // RUDDER_LIB_RUNTIME_CNI_NETNS_H_
