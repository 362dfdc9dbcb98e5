#include "lib/runtime/testing/busybox_image.h"

#include <openssl/evp.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/json_quote.h"
#include "lib/runtime/testing/internal/tar_writer.h"

namespace rudder::runtime::testing {
namespace {

using internal::TarWriter;

constexpr const char* kDefaultApplets[] = {
    "sh",       "ash",   "sleep", "echo", "cat",    "httpd", "ls",   "ps",    "kill", "true",
    "false",    "env",   "nc",    "wget", "printf", "touch", "test", "mkdir", "rm",   "id",
    "hostname", "date",  "wc",    "head", "tail",   "grep",  "pwd",  "sync",  "cp",   "mv",
    "ln",       "uname", "tee",   "seq",  "yes",    "dd",    "tr",   "sed",   "awk",  "sort",
    "uniq",     "cut",   "xargs", "find", "chmod",  "stat",
};

#if defined(__aarch64__)
constexpr char kArch[] = "arm64";
#else
constexpr char kArch[] = "amd64";
#endif

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

std::string JsonArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ",";
    out += JsonQuote(items[i]);
  }
  return out + "]";
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("busybox_path: cannot read ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::string> BuildLayer(const BusyboxImageOptions& options) {
  auto busybox = ReadFile(options.busybox_path);
  if (!busybox.ok()) return busybox.status();
  TarWriter tar;
  std::vector<absl::Status> results;
  results.push_back(tar.AddDirectory("bin", 0755));
  results.push_back(tar.AddFile("bin/busybox", 0755, *busybox));
  std::vector<std::string> applets = options.applets;
  if (applets.empty()) applets.assign(std::begin(kDefaultApplets), std::end(kDefaultApplets));
  for (const std::string& applet : applets) {
    if (applet == "busybox") continue;
    results.push_back(tar.AddSymlink(absl::StrCat("bin/", applet), "busybox"));
  }
  results.push_back(tar.AddDirectory("dev", 0755));
  results.push_back(tar.AddDirectory("etc", 0755));
  results.push_back(tar.AddFile("etc/group", 0644, "root:x:0:\nnogroup:x:65534:\n"));
  results.push_back(tar.AddFile("etc/passwd", 0644,
                                "root:x:0:0:root:/root:/bin/sh\n"
                                "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"));
  results.push_back(tar.AddDirectory("proc", 0755));
  results.push_back(tar.AddDirectory("root", 0700));
  results.push_back(tar.AddDirectory("sys", 0755));
  results.push_back(tar.AddDirectory("tmp", 01777));
  results.push_back(tar.AddDirectory("var", 0755));
  results.push_back(tar.AddDirectory("var/www", 0755));
  results.push_back(tar.AddFile("var/www/index.html", 0644, "rudder\n"));
  for (const absl::Status& s : results) {
    if (!s.ok()) return s;
  }
  return tar.Finish();
}

}  // namespace

absl::StatusOr<std::string> BuildBusyboxImageTar(const BusyboxImageOptions& options) {
  if (options.names.empty()) return absl::InvalidArgumentError("names: at least one is needed");
  for (const std::string& name : options.names) {
    const size_t slash = name.rfind('/');
    const size_t colon = name.rfind(':');
    if (colon == std::string::npos || (slash != std::string::npos && colon < slash) ||
        colon + 1 == name.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("names: \"", name, "\" needs a tag (repository:tag)"));
    }
  }
  auto layer = BuildLayer(options);
  if (!layer.ok()) return layer.status();
  const std::string layer_digest = Sha256Hex(*layer);

  std::string config = absl::StrCat(
      "{\"architecture\":\"", kArch, "\",\"os\":\"linux\",\"config\":{",
      "\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],",
      options.entrypoint.empty()
          ? ""
          : absl::StrCat("\"Entrypoint\":", JsonArray(options.entrypoint), ","),
      "\"Cmd\":", JsonArray(options.cmd), ",\"WorkingDir\":\"/\"},",
      "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:", layer_digest, "\"]},",
      "\"history\":[{\"created_by\":\"rudder busybox image builder\"}]}");
  const std::string config_digest = Sha256Hex(config);

  std::string manifest = absl::StrCat(
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",",
      "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",",
      "\"digest\":\"sha256:", config_digest, "\",\"size\":", config.size(), "},",
      "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",",
      "\"digest\":\"sha256:", layer_digest, "\",\"size\":", layer->size(), "}]}");
  const std::string manifest_digest = Sha256Hex(manifest);

  std::vector<std::string> entries;
  for (const std::string& name : options.names) {
    const std::string tag = name.substr(name.rfind(':') + 1);
    entries.push_back(
        absl::StrCat("{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",",
                     "\"digest\":\"sha256:", manifest_digest, "\",\"size\":", manifest.size(), ",",
                     "\"platform\":{\"architecture\":\"", kArch, "\",\"os\":\"linux\"},",
                     "\"annotations\":{\"io.containerd.image.name\":", JsonQuote(name),
                     ",\"org.opencontainers.image.ref.name\":", JsonQuote(tag), "}}"));
  }
  std::string index =
      absl::StrCat("{\"schemaVersion\":2,\"manifests\":[", absl::StrJoin(entries, ","), "]}");

  TarWriter tar;
  for (absl::Status s : {
           tar.AddFile("oci-layout", 0644, "{\"imageLayoutVersion\":\"1.0.0\"}"),
           tar.AddFile("index.json", 0644, index),
           tar.AddDirectory("blobs", 0755),
           tar.AddDirectory("blobs/sha256", 0755),
           tar.AddFile(absl::StrCat("blobs/sha256/", layer_digest), 0644, *layer),
           tar.AddFile(absl::StrCat("blobs/sha256/", config_digest), 0644, config),
           tar.AddFile(absl::StrCat("blobs/sha256/", manifest_digest), 0644, manifest),
       }) {
    if (!s.ok()) return s;
  }
  return tar.Finish();
}

absl::Status WriteBusyboxImageTar(const BusyboxImageOptions& options, const std::string& path) {
  auto tar = BuildBusyboxImageTar(options);
  if (!tar.ok()) return tar.status();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(tar->data(), static_cast<std::streamsize>(tar->size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace rudder::runtime::testing
