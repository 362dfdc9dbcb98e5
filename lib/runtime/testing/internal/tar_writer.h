// A minimal, deterministic ustar archive writer (directories, regular files, symlinks) for the
// test image builder. Not thread-safe; one writer per archive.
#ifndef RUDDER_LIB_RUNTIME_TESTING_INTERNAL_TAR_WRITER_H_
#define RUDDER_LIB_RUNTIME_TESTING_INTERNAL_TAR_WRITER_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace rudder::runtime::testing::internal {

class TarWriter {
 public:
  // Entries get uid/gid 0 and mtime 0. Names must be relative and shorter than 100 bytes.
  absl::Status AddDirectory(std::string_view name, int mode);
  absl::Status AddFile(std::string_view name, int mode, std::string_view content);
  absl::Status AddSymlink(std::string_view name, std::string_view target);

  // Appends the end-of-archive marker and returns the archive; the writer is then empty.
  std::string Finish();

 private:
  absl::Status AddHeader(std::string_view name, int mode, size_t size, char type,
                         std::string_view link);

  std::string out_;
};

}  // namespace rudder::runtime::testing::internal

#endif  // RUDDER_LIB_RUNTIME_TESTING_INTERNAL_TAR_WRITER_H_
