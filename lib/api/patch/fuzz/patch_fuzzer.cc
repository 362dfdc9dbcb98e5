// Fuzz target for the patch functions: JSON patch, JSON merge patch and strategic merge patch
// (apply, two-way and three-way creation) on arbitrary input.
//
// Input: one mode byte, then newline-separated JSON texts (document, patch or modified,
// current). Invariants: no crash; every successful result is valid JSON within the depth
// limit; a created merge patch turns its original into its modified document, and so does a
// two-way strategic patch when neither input holds directives or nulls.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_split.h"
#include "lib/api/patch/json_patch.h"
#include "lib/api/patch/merge_patch.h"
#include "lib/api/patch/proto_patch_meta.h"
#include "lib/api/patch/strategic_merge_patch.h"
#include "lib/api/patch/testdata/patchtest.pb.h"
#include "rapidjson/document.h"

namespace {

using namespace rudder::api::patch;  // NOLINT

[[noreturn]] void Fail(std::string_view input, const std::string& what) {
  std::fprintf(stderr, "patch fuzzer invariant failed: %s\n  input: ", what.c_str());
  std::fwrite(input.data(), 1, input.size(), stderr);
  std::fputc('\n', stderr);
  std::abort();
}

void CheckJson(std::string_view input, const absl::StatusOr<std::string>& out, const char* what) {
  if (!out.ok()) {
    if (out.status().code() != absl::StatusCode::kInvalidArgument &&
        out.status().code() != absl::StatusCode::kFailedPrecondition) {
      Fail(input, std::string(what) + ": unexpected code " + out.status().ToString());
    }
    return;
  }
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(out->data(), out->size());
  if (d.HasParseError()) Fail(input, std::string(what) + ": invalid JSON output " + *out);
}

bool JsonEqual(const std::string& a, const std::string& b) {
  rapidjson::Document x, y;
  x.Parse(a.c_str());
  y.Parse(b.c_str());
  return !x.HasParseError() && !y.HasParseError() && x == y;
}

const PatchMeta& Meta() {
  static const PatchMeta* const meta =
      NewProtoPatchMeta(rudder::api::patch::testdata::Deployment::descriptor()).release();
  return *meta;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const int mode = static_cast<unsigned char>(input[0]) % 5;
  std::vector<std::string> parts =
      absl::StrSplit(absl::string_view(input.data() + 1, input.size() - 1), '\n');
  parts.resize(3);
  PatchLimits limits;
  limits.max_depth = 64;
  limits.max_copied_values = 1 << 16;
  const PatchMeta& meta =
      (static_cast<unsigned char>(input[0]) / 5) % 2 ? Meta() : SchemalessPatchMeta();
  switch (mode) {
    case 0:
      CheckJson(input, ApplyJsonPatch(parts[0], parts[1], limits), "json patch");
      break;
    case 1: {
      CheckJson(input, ApplyMergePatch(parts[0], parts[1], limits), "merge patch");
      absl::StatusOr<std::string> diff = CreateMergePatch(parts[0], parts[1], limits);
      CheckJson(input, diff, "create merge patch");
      if (diff.ok() && parts[1].find("null") == std::string::npos) {
        absl::StatusOr<std::string> back = ApplyMergePatch(parts[0], *diff, limits);
        // The modified document as parsed (duplicate keys resolved).
        absl::StatusOr<std::string> want = ApplyJsonPatch(parts[1], "[]", limits);
        if (!back.ok() || !want.ok() || !JsonEqual(*back, *want)) {
          Fail(input, "merge patch round trip: " + *diff);
        }
      }
      CheckJson(input, CreateThreeWayMergePatch(parts[0], parts[1], parts[2], limits),
                "three-way merge patch");
      break;
    }
    case 2:
    case 3:
      CheckJson(input, ApplyStrategicMergePatch(parts[0], parts[1], meta, limits),
                "strategic merge patch");
      break;
    case 4: {
      absl::StatusOr<std::string> diff = CreateTwoWayMergePatch(parts[0], parts[1], meta, limits);
      CheckJson(input, diff, "two-way");
      if (diff.ok()) {
        absl::StatusOr<std::string> back = ApplyStrategicMergePatch(parts[0], *diff, meta, limits);
        CheckJson(input, back, "apply two-way");
        // Without directives or nulls in the inputs, the patch must reproduce `modified`.
        if (back.ok() && parts[0].find('$') == std::string::npos &&
            parts[1].find('$') == std::string::npos && parts[1].find("null") == std::string::npos) {
          absl::StatusOr<std::string> want = ApplyJsonPatch(parts[1], "[]", limits);
          if (want.ok() && !JsonEqual(*back, *want)) {
            Fail(input, "two-way round trip: patch " + *diff + " gave " + *back);
          }
        }
      }
      CheckJson(input,
                CreateThreeWayMergePatch(parts[0], parts[1], parts[2], meta,
                                         /*overwrite=*/(size & 1) != 0, limits),
                "three-way");
      break;
    }
  }
  return 0;
}
