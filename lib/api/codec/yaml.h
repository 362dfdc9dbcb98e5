// YAML for API objects, as kubectl reads and writes it.
//
// Reading converts YAML to JSON the way Kubernetes does (sigs.k8s.io/yaml over YAML 1.1
// scalar rules), so the JSON decoder then applies every mapping rule and error:
//  - unquoted true/false/yes/no/on/off/y/n (any of their three casings) are booleans; ~, null
//    and empty values are null; integers (decimal, 0x, 0o, 0b, leading-0 octal, `_`
//    separators) and floats are numbers; quoted and block scalars are always strings;
//    timestamps stay strings; mapping keys are always strings; `<<` merge keys are honoured.
//  - A stream holds documents separated by `---`; empty documents (only comments or
//    whitespace, or null) are skipped.
//  - Errors are InvalidArgument and carry the line ("line 3, column 5: ..."); nothing throws.
//
// Writing turns JSON into YAML as `kubectl get -o yaml` prints it: keys sorted, 2-space
// indentation, list items ("- ") at their key's indentation, strings quoted only when they
// would otherwise read back as something else, multi-line strings as `|` blocks, long
// strings folded at 80 columns.
//
// All functions are thread-safe.
//
// Example:
//   absl::StatusOr<std::vector<std::string>> docs = YamlToJson(file_contents);
//   for (const std::string& json : *docs) { ... DecodeJson(json, &obj) ... }
//   absl::StatusOr<std::string> yaml = JsonToYaml(*EncodeJson(obj, {"v1", "Pod"}));
#ifndef RUDDER_LIB_API_CODEC_YAML_H_
#define RUDDER_LIB_API_CODEC_YAML_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rudder::api {

struct YamlOptions {
  // Larger input, or JSON output larger than this (aliases can multiply size), is an error.
  size_t max_bytes = 3 * 1024 * 1024;
  // Maximum nesting of mappings and sequences.
  int max_depth = 100;
};

// Converts each non-empty document of a YAML stream to compact JSON text.
absl::StatusOr<std::vector<std::string>> YamlToJson(absl::string_view yaml,
                                                    const YamlOptions& options = {});

// Converts a stream that must hold exactly one non-empty document (InvalidArgument otherwise).
absl::StatusOr<std::string> YamlDocumentToJson(absl::string_view yaml,
                                               const YamlOptions& options = {});

// Writes JSON text as YAML in kubectl's style, ending in a newline.
absl::StatusOr<std::string> JsonToYaml(absl::string_view json, const YamlOptions& options = {});

}  // namespace rudder::api

#endif  // RUDDER_LIB_API_CODEC_YAML_H_
