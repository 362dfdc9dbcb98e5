// Fuzz target: YAML -> JSON and JSON -> YAML.
// Invariants: no crash, no exception; every document converts to well-formed JSON; an
// object document written back as YAML reads back as the same object.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "lib/api/codec/json.h"
#include "lib/api/codec/unstructured.h"
#include "lib/api/codec/yaml.h"
#include "tools/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rudder::api;
  absl::string_view in(reinterpret_cast<const char*>(data), size);
  (void)JsonToYaml(in);
  absl::StatusOr<std::vector<std::string>> docs = YamlToJson(in);
  if (!docs.ok()) {
    RUDDER_FUZZ_CHECK(docs.status().code() == absl::StatusCode::kInvalidArgument, in,
                      docs.status().ToString());
    return 0;
  }
  for (const std::string& json : *docs) {
    RUDDER_FUZZ_CHECK(FormatJson(json, false).ok(), in, json);
    absl::StatusOr<Unstructured> u = Unstructured::FromJson(json);
    if (!u.ok()) continue;  // not an object, or beyond the depth limit
    absl::StatusOr<std::string> yaml = JsonToYaml(u->ToJson());
    RUDDER_FUZZ_CHECK(yaml.ok(), in, yaml.status().ToString());
    absl::StatusOr<std::string> back = YamlDocumentToJson(*yaml);
    RUDDER_FUZZ_CHECK(back.ok(), in, absl::StrCat(*yaml, "\n", back.status().ToString()));
    absl::StatusOr<Unstructured> u2 = Unstructured::FromJson(*back);
    RUDDER_FUZZ_CHECK(u2.ok() && u2->ToJson() == u->ToJson(), in,
                      absl::StrCat(u->ToJson(), "\n", *yaml, "\n", *back));
  }
  return 0;
}
