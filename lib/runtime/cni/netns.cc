#include "lib/runtime/cni/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"

namespace rudder::cni {
namespace {

absl::Status ErrnoStatus(int err, const std::string& what) {
  std::string msg = absl::StrCat(what, ": ", std::strerror(err));
  switch (err) {
    case EPERM:
    case EACCES:
      return absl::PermissionDeniedError(msg);
    case EEXIST:
      return absl::AlreadyExistsError(msg);
    case ENOENT:
      return absl::NotFoundError(msg);
    default:
      return absl::InternalError(msg);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<NetNamespace>> NetNamespace::Create(const std::string& name,
                                                                   const std::string& dir) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return absl::InvalidArgumentError(absl::StrCat("netns name \"", name, "\" is not valid"));
  }
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoStatus(errno, dir);
  std::string path = absl::StrCat(dir, "/", name);
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus(errno, path);
  ::close(fd);

  // A network namespace belongs to a thread: make it on a thread of its own, so the caller's
  // thread stays where it is, and pin it with a bind mount before that thread ends.
  absl::Status status;
  std::thread worker([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      status = ErrnoStatus(errno, "unshare(CLONE_NEWNET)");
      return;
    }
    if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) {
      status = ErrnoStatus(errno, absl::StrCat("bind mount to ", path));
    }
  });
  worker.join();
  if (!status.ok()) {
    ::unlink(path.c_str());
    return status;
  }
  return std::unique_ptr<NetNamespace>(new NetNamespace(name, path));
}

NetNamespace::~NetNamespace() {
  if (!path_.empty()) RemoveNetNamespace(path_).IgnoreError();
}

absl::Status NetNamespace::Remove() {
  if (path_.empty()) return absl::OkStatus();
  absl::Status s = RemoveNetNamespace(path_);
  if (s.ok()) path_.clear();
  return s;
}

absl::Status RemoveNetNamespace(const std::string& path) {
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("unmount ", path));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("remove ", path));
  }
  return absl::OkStatus();
}

}  // namespace rudder::cni
