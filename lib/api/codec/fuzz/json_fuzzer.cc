// Fuzz target: the JSON decoder, PeekTypeMeta, Unstructured and FormatJson.
// Invariants: no crash; whatever decodes re-encodes, and decoding that output again gives
// the same message and the same JSON (a fixed point).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "lib/api/codec/json.h"
#include "lib/api/codec/testdata/codectest.pb.h"
#include "lib/api/codec/unstructured.h"
#include "tools/fuzz/fuzz_check.h"

namespace {

const rudder::api::JsonCodec& Codec() {
  static const rudder::api::JsonCodec* codec = [] {
    rudder::api::JsonSpecialTypes t;
    (void)t.Register("rudder.api.codectest.Quantity", rudder::api::NewQuantityJsonType());
    (void)t.Register("rudder.api.codectest.IntOrString", rudder::api::NewIntOrStringJsonType());
    (void)t.Register("rudder.api.codectest.Time", rudder::api::NewTimeJsonType());
    (void)t.Register("rudder.api.codectest.MicroTime", rudder::api::NewMicroTimeJsonType());
    (void)t.Register("rudder.api.codectest.Duration", rudder::api::NewDurationJsonType());
    (void)t.Register("rudder.api.codectest.RawExtension", rudder::api::NewRawJsonType());
    return new rudder::api::JsonCodec(std::move(t));
  }();
  return *codec;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rudder::api;
  absl::string_view in(reinterpret_cast<const char*>(data), size);
  (void)PeekTypeMeta(in);
  (void)FormatJson(in, true);

  for (FieldValidation v : {FieldValidation::kStrict, FieldValidation::kIgnore}) {
    JsonDecodeOptions o;
    o.validation = v;
    codectest::Everything m;
    absl::StatusOr<JsonDecodeResult> r = Codec().Decode(in, &m, o);
    // Parsed in place of a copy, the same input gives the same message or the same error.
    codectest::Everything in_place;
    absl::StatusOr<JsonDecodeResult> r_in_place =
        Codec().DecodeString(std::string(in), &in_place, o);
    RUDDER_FUZZ_CHECK(r_in_place.status() == r.status() &&
                          (!r.ok() || in_place.SerializeAsString() == m.SerializeAsString()),
                      in, r_in_place.status().ToString());
    if (!r.ok()) {
      RUDDER_FUZZ_CHECK(r.status().code() == absl::StatusCode::kInvalidArgument, in,
                        r.status().ToString());
      continue;
    }
    absl::StatusOr<std::string> out = Codec().Encode(m);
    if (!out.ok()) {
      // Only values that cannot be written back may fail (e.g. a time beyond year 9999).
      RUDDER_FUZZ_CHECK(out.status().code() == absl::StatusCode::kInvalidArgument, in,
                        out.status().ToString());
      continue;
    }
    codectest::Everything again;
    absl::StatusOr<JsonDecodeResult> r2 = Codec().Decode(*out, &again);
    RUDDER_FUZZ_CHECK(r2.ok(), in, absl::StrCat(*out, " -> ", r2.status().ToString()));
    absl::StatusOr<std::string> out2 = Codec().Encode(again);
    RUDDER_FUZZ_CHECK(out2.ok() && *out2 == *out, in, absl::StrCat(*out, "\n", out2.value_or("")));
  }

  absl::StatusOr<Unstructured> u = Unstructured::FromJson(in);
  if (u.ok()) {
    std::string j = u->ToJson();
    absl::StatusOr<Unstructured> u2 = Unstructured::FromJson(j);
    RUDDER_FUZZ_CHECK(u2.ok() && u2->ToJson() == j, in, j);
    (void)u->Name();
    (void)u->OwnerReferences();
    (void)u->Labels();
  }
  return 0;
}
