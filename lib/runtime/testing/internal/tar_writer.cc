#include "lib/runtime/testing/internal/tar_writer.h"

#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace rudder::runtime::testing::internal {
namespace {

constexpr size_t kBlock = 512;

// Writes `value` as zero-padded octal filling `width - 1` digits plus a NUL.
void Octal(char* field, size_t width, unsigned long long value) {
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1), value);
}

}  // namespace

absl::Status TarWriter::AddHeader(std::string_view name, int mode, size_t size, char type,
                                  std::string_view link) {
  if (name.empty() || name.size() >= 100 || name.front() == '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("tar: entry name \"", std::string(name), "\" must be relative and short"));
  }
  if (link.size() >= 100) return absl::InvalidArgumentError("tar: link target too long");
  char h[kBlock];
  std::memset(h, 0, sizeof(h));
  std::memcpy(h, name.data(), name.size());
  Octal(h + 100, 8, mode);
  Octal(h + 108, 8, 0);  // uid
  Octal(h + 116, 8, 0);  // gid
  Octal(h + 124, 12, size);
  Octal(h + 136, 12, 0);  // mtime
  std::memset(h + 148, ' ', 8);
  h[156] = type;
  std::memcpy(h + 157, link.data(), link.size());
  std::memcpy(h + 257, "ustar", 6);
  std::memcpy(h + 263, "00", 2);
  std::memcpy(h + 265, "root", 4);
  std::memcpy(h + 297, "root", 4);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h + 148, 8, "%06o", sum);
  h[155] = ' ';
  out_.append(h, sizeof(h));
  return absl::OkStatus();
}

absl::Status TarWriter::AddDirectory(std::string_view name, int mode) {
  std::string n(name);
  if (n.empty() || n.back() != '/') n += '/';
  return AddHeader(n, mode, 0, '5', "");
}

absl::Status TarWriter::AddFile(std::string_view name, int mode, std::string_view content) {
  absl::Status s = AddHeader(name, mode, content.size(), '0', "");
  if (!s.ok()) return s;
  out_.append(content.data(), content.size());
  out_.append((kBlock - content.size() % kBlock) % kBlock, '\0');
  return absl::OkStatus();
}

absl::Status TarWriter::AddSymlink(std::string_view name, std::string_view target) {
  return AddHeader(name, 0777, 0, '2', target);
}

std::string TarWriter::Finish() {
  out_.append(2 * kBlock, '\0');
  std::string archive = std::move(out_);
  out_.clear();
  return archive;
}

}  // namespace rudder::runtime::testing::internal
