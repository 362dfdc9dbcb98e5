#include "lib/api/codec/json.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/container/inlined_vector.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/reflection.h"
#include "lib/api/codec/internal/json_node.h"
#include "lib/api/codec/internal/json_text.h"
#include "lib/api/proto/options.pb.h"
#include "lib/base/status_macros.h"
#include "rapidjson/encodedstream.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"

namespace rudder::api {
namespace codec_internal {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

struct MessagePlan;

// How one field is written and read.
struct FieldPlan {
  const FieldDescriptor* fd = nullptr;
  std::string json_name;
  std::string quoted_key;  // "\"name\":", ready to append
  bool json_always = false;
  bool repeated = false;  // repeated or map
  bool map = false;
  int index = 0;                         // position in MessagePlan::fields
  const MessagePlan* message = nullptr;  // message-typed fields (the value's, for maps)
  std::shared_ptr<FieldPlan> map_value;  // maps: the entry's value field
  // A member of an inline (embedded) message: the fields leading from the JSON object's
  // message to the message holding fd.
  std::vector<const FieldDescriptor*> inline_path;
  const FieldDescriptor* map_key = nullptr;
};

// How one message type is written and read; built once per codec and type.
struct MessagePlan {
  const Descriptor* descriptor = nullptr;
  const JsonSpecialType* special = nullptr;        // non-null: the whole message has this form
  std::vector<std::unique_ptr<FieldPlan>> fields;  // in declaration order
  absl::flat_hash_map<std::string, const FieldPlan*> by_name;
};

namespace {

// ---------------------------------------------------------------------------------------
// Encoding

class Encoder {
 public:
  explicit Encoder(int max_depth) : max_depth_(max_depth) {}

  absl::Status Message(const google::protobuf::Message& m, const MessagePlan& plan, int depth,
                       const JsonEncodeOptions* top, std::string* out) {
    if (plan.special != nullptr) return plan.special->Encode(m, out);
    if (depth > max_depth_) {
      return absl::InvalidArgumentError(
          absl::StrCat("object exceeds the maximum nesting depth of ", max_depth_));
    }
    out->push_back('{');
    bool first = true;
    if (top != nullptr) {
      if (!top->kind.empty()) {
        out->append("\"kind\":");
        AppendJsonString(top->kind, out);
        first = false;
      }
      if (!top->api_version.empty()) {
        if (!first) out->push_back(',');
        out->append("\"apiVersion\":");
        AppendJsonString(top->api_version, out);
        first = false;
      }
    }
    for (const auto& fp_ptr : plan.fields) {
      const FieldPlan* fp = fp_ptr.get();
      const FieldDescriptor* fd = fp->fd;
      const google::protobuf::Message* holder = &m;
      for (const FieldDescriptor* in : fp->inline_path) {
        holder = &holder->GetReflection()->GetMessage(*holder, in);  // default if unset
      }
      const google::protobuf::Message& m = *holder;
      const Reflection* r = m.GetReflection();
      if (fp->repeated) {
        if (r->FieldSize(m, fd) == 0 && !fp->json_always) continue;
      } else if (!r->HasField(m, fd)) {
        if (!fp->json_always || fp->message == nullptr) continue;
        if (!first) out->push_back(',');
        first = false;
        out->append(fp->quoted_key);
        out->append("null");
        continue;
      }
      if (!first) out->push_back(',');
      first = false;
      out->append(fp->quoted_key);
      if (fp->map) {
        RUDDER_RETURN_IF_ERROR(Map(m, *fp, depth, out));
      } else if (fp->repeated) {
        int n = r->FieldSize(m, fd);
        out->push_back('[');
        for (int i = 0; i < n; ++i) {
          if (i > 0) out->push_back(',');
          RUDDER_RETURN_IF_ERROR(Value(m, *fp, i, depth, out));
        }
        out->push_back(']');
      } else {
        RUDDER_RETURN_IF_ERROR(Value(m, *fp, -1, depth, out));
      }
    }
    out->push_back('}');
    return absl::OkStatus();
  }

 private:
  // Field `fp` of `m` (element `i` if repeated, else i == -1).
  absl::Status Value(const google::protobuf::Message& m, const FieldPlan& fp, int i, int depth,
                     std::string* out) {
    const Reflection* r = m.GetReflection();
    const FieldDescriptor* fd = fp.fd;
    bool rep = i >= 0;
    switch (fd->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        absl::StrAppend(out, rep ? r->GetRepeatedInt32(m, fd, i) : r->GetInt32(m, fd));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        absl::StrAppend(out, rep ? r->GetRepeatedInt64(m, fd, i) : r->GetInt64(m, fd));
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        absl::StrAppend(out, rep ? r->GetRepeatedUInt32(m, fd, i) : r->GetUInt32(m, fd));
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        absl::StrAppend(out, rep ? r->GetRepeatedUInt64(m, fd, i) : r->GetUInt64(m, fd));
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        return AppendGoFloat64(rep ? r->GetRepeatedDouble(m, fd, i) : r->GetDouble(m, fd), out);
      case FieldDescriptor::CPPTYPE_FLOAT:
        return AppendGoFloat32(rep ? r->GetRepeatedFloat(m, fd, i) : r->GetFloat(m, fd), out);
      case FieldDescriptor::CPPTYPE_BOOL:
        out->append((rep ? r->GetRepeatedBool(m, fd, i) : r->GetBool(m, fd)) ? "true" : "false");
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        AppendJsonString((rep ? r->GetRepeatedEnum(m, fd, i) : r->GetEnum(m, fd))->name(), out);
        break;
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& s = rep ? r->GetRepeatedStringReference(m, fd, i, &scratch)
                                   : r->GetStringReference(m, fd, &scratch);
        if (fd->type() == FieldDescriptor::TYPE_BYTES) {
          out->push_back('"');
          out->append(absl::Base64Escape(s));
          out->push_back('"');
        } else {
          AppendJsonString(s, out);
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return Message(rep ? r->GetRepeatedMessage(m, fd, i) : r->GetMessage(m, fd), *fp.message,
                       depth + 1, nullptr, out);
    }
    return absl::OkStatus();
  }

  absl::Status Map(const google::protobuf::Message& m, const FieldPlan& fp, int depth,
                   std::string* out) {
    const Reflection* r = m.GetReflection();
    int n = r->FieldSize(m, fp.fd);
    // String keys are viewed in place; others are formatted into `owned`, which is sized up
    // front so the views stay valid.
    struct Entry {
      absl::string_view key;
      const google::protobuf::Message* entry;
    };
    std::vector<Entry> entries;
    entries.reserve(n);
    std::vector<std::string> owned;
    const FieldDescriptor* kf = fp.map_key;
    if (kf->cpp_type() != FieldDescriptor::CPPTYPE_STRING) owned.reserve(n);
    for (int i = 0; i < n; ++i) {
      const google::protobuf::Message& e = r->GetRepeatedMessage(m, fp.fd, i);
      const Reflection* er = e.GetReflection();
      switch (kf->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING: {
          std::string scratch;
          const std::string& k = er->GetStringReference(e, kf, &scratch);
          if (&k == &scratch) {  // not stored as a std::string: keep a copy
            if (owned.capacity() < static_cast<size_t>(n)) owned.reserve(n);
            owned.push_back(std::move(scratch));
            entries.push_back({owned.back(), &e});
          } else {
            entries.push_back({k, &e});
          }
          continue;
        }
        case FieldDescriptor::CPPTYPE_INT32:
          owned.push_back(absl::StrCat(er->GetInt32(e, kf)));
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          owned.push_back(absl::StrCat(er->GetInt64(e, kf)));
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          owned.push_back(absl::StrCat(er->GetUInt32(e, kf)));
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          owned.push_back(absl::StrCat(er->GetUInt64(e, kf)));
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          owned.push_back(er->GetBool(e, kf) ? "true" : "false");
          break;
        default:
          return absl::InternalError("unsupported map key type");
      }
      entries.push_back({owned.back(), &e});
    }
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.key < b.key; });
    out->push_back('{');
    for (size_t i = 0; i < entries.size(); ++i) {
      // Duplicate keys (possible after a binary merge) keep the last, as a map would.
      if (i + 1 < entries.size() && entries[i].key == entries[i + 1].key) continue;
      if (out->back() != '{') out->push_back(',');
      AppendJsonString(entries[i].key, out);
      out->push_back(':');
      RUDDER_RETURN_IF_ERROR(Value(*entries[i].entry, *fp.map_value, -1, depth, out));
    }
    out->push_back('}');
    return absl::OkStatus();
  }

  int max_depth_;
};

// ---------------------------------------------------------------------------------------
// Decoding: a SAX handler that writes straight into the message through reflection.

// A NUL-terminated input stream. The input is checked for NUL and invalid UTF-8 first
// (CheckJsonBytes) and copied so it ends in NUL, which spares the parser bounds checks and
// per-character validation. Unlike rapidjson::StringStream it has no StreamTraits copy
// optimization, so Tell() is exact inside handler callbacks (raw values are cut by offset).
struct Stream {
  typedef char Ch;
  explicit Stream(const char* s) : src_(s), head_(s) {}
  Ch Peek() const { return *src_; }
  Ch Take() { return *src_++; }
  size_t Tell() const { return static_cast<size_t>(src_ - head_); }
  Ch* PutBegin() { return nullptr; }
  void Put(Ch) {}
  void Flush() {}
  size_t PutEnd(Ch*) { return 0; }
  const Ch* src_;
  const Ch* head_;
};
using rapidjson::SizeType;

constexpr unsigned kParseFlags = rapidjson::kParseNumbersAsStringsFlag;

class Decoder {
 public:
  Decoder(absl::string_view input, const Stream& stream, const JsonDecodeOptions& options,
          google::protobuf::Message* root, const MessagePlan* root_plan)
      : input_(input), stream_(stream), options_(options), root_(root), root_plan_(root_plan) {
    frames_.reserve(16);
  }

  // rapidjson handler interface.
  bool Null() {
    Frame* f = Top();
    if (f == nullptr) return Fail("", "expected a JSON object, got null");
    if (f->kind >= Frame::kSkip) return Done();
    if (f->kind == Frame::kMessage && f->pending == nullptr) return AfterValue();
    Target t = TargetOf(f);
    if (t.element) {
      // [null] in a list: a zero element, as Go decodes it.
      const Reflection* r = t.msg->GetReflection();
      const FieldDescriptor* fd = t.fp->fd;
      switch (fd->cpp_type()) {
        case FieldDescriptor::CPPTYPE_MESSAGE:
          r->AddMessage(t.msg, fd);
          break;
        case FieldDescriptor::CPPTYPE_STRING:
          r->AddString(t.msg, fd, "");
          break;
        case FieldDescriptor::CPPTYPE_INT32:
          r->AddInt32(t.msg, fd, 0);
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          r->AddInt64(t.msg, fd, 0);
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          r->AddUInt32(t.msg, fd, 0);
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          r->AddUInt64(t.msg, fd, 0);
          break;
        case FieldDescriptor::CPPTYPE_DOUBLE:
          r->AddDouble(t.msg, fd, 0);
          break;
        case FieldDescriptor::CPPTYPE_FLOAT:
          r->AddFloat(t.msg, fd, 0);
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          r->AddBool(t.msg, fd, false);
          break;
        case FieldDescriptor::CPPTYPE_ENUM:
          r->AddEnumValue(t.msg, fd, fd->enum_type()->value(0)->number());
          break;
      }
    } else if (f->kind == Frame::kMessage) {
      t.msg->GetReflection()->ClearField(t.msg, t.fp->fd);
    }
    // A null map value leaves the entry's value at its default.
    return AfterValue();
  }

  bool Bool(bool b) {
    JsonValueRef v{JsonValueRef::Kind::kBool, b ? "true" : "false", b ? "true" : "false"};
    return Scalar(v);
  }
  bool RawNumber(const char* s, SizeType n, bool) {
    JsonValueRef v{JsonValueRef::Kind::kNumber, absl::string_view(s, n), {}};
    return Scalar(v);
  }
  bool String(const char* s, SizeType n, bool) {
    JsonValueRef v{JsonValueRef::Kind::kString, {}, absl::string_view(s, n)};
    return Scalar(v);
  }
  // Not called: numbers arrive as RawNumber.
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }

  bool StartObject() { return StartContainer(/*object=*/true); }
  bool StartArray() { return StartContainer(/*object=*/false); }
  bool EndObject(SizeType) { return EndContainer(); }
  bool EndArray(SizeType) { return EndContainer(); }

  bool Key(const char* s, SizeType n, bool) {
    Frame* f = Top();
    absl::string_view key(s, n);
    if (f->kind >= Frame::kSkip) return Done();
    if (f->kind == Frame::kMap) return MapKey(f, key);
    // A message's field.
    f->type_meta = nullptr;
    if (f == &frames_[0]) {
      if (key == "kind") f->type_meta = &result_.type_meta.kind;
      if (key == "apiVersion") f->type_meta = &result_.type_meta.api_version;
    }
    auto it = f->plan->by_name.find(key);
    if (it == f->plan->by_name.end()) {
      f->pending = nullptr;
      if (f->type_meta == nullptr) {
        Issue("unknown field", absl::StrCat(Path(), f->Prefix(), key));
      }
      return Done();
    }
    const FieldPlan* fp = it->second;
    f->pending = fp;
    f->holder = f->msg;
    for (const FieldDescriptor* in : fp->inline_path) {
      f->holder = f->holder->GetReflection()->MutableMessage(f->holder, in);
    }
    uint64_t bit = uint64_t{1} << (fp->index % 64);
    uint64_t& word = f->seen[fp->index / 64];
    if (word & bit) {
      Issue("duplicate field", absl::StrCat(Path(), f->Prefix(), key));
    }
    word |= bit;
    return Done();
  }

  absl::StatusOr<JsonDecodeResult> Finish(rapidjson::ParseResult r) {
    if (!status_.ok()) return status_;
    if (r.IsError()) {
      return absl::InvalidArgumentError(DescribeJsonParseError(input_, r.Code(), r.Offset()));
    }
    if (options_.validation == FieldValidation::kStrict && !issues_.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("strict decoding error: ", absl::StrJoin(issues_, ", ")));
    }
    if (options_.validation == FieldValidation::kWarn) result_.warnings = std::move(issues_);
    return std::move(result_);
  }

 private:
  // One step of a path, computed only when an error needs it: a field, a list index or a
  // map key.
  struct Via {
    const FieldPlan* field = nullptr;
    int index = -1;
    std::string key;
  };

  struct Frame {
    enum Kind : uint8_t { kMessage, kList, kMap, kSkip, kCapture };
    Kind kind;
    google::protobuf::Message* msg = nullptr;     // kMessage: the message; kList/kMap: the holder
    const MessagePlan* plan = nullptr;            // kMessage
    const FieldPlan* field = nullptr;             // kList, kMap, kCapture: the field
    const FieldPlan* pending = nullptr;           // kMessage: field of the value to come
    google::protobuf::Message* holder = nullptr;  // kMessage: the message holding `pending`
    std::string* type_meta = nullptr;             // root kMessage: "kind"/"apiVersion" to come
    Via via;                                      // path step from the parent
    int index = 0;                                // kList: next element's index
    std::string map_key;                          // kMap: key of the value to come
    google::protobuf::Message* entry = nullptr;   // kMap: entry of that value
    std::vector<std::pair<std::string, google::protobuf::Message*>> entries;  // kMap
    absl::InlinedVector<uint64_t, 1> seen;              // kMessage: fields given so far
    size_t capture_start = 0;                           // kCapture: offset of the value
    google::protobuf::Message* capture_into = nullptr;  // kCapture
    bool object = false;                                // kCapture

    absl::string_view Prefix() const { return "."; }
  };

  // Where a value goes: field fp of msg, appended if `element`.
  struct Target {
    google::protobuf::Message* msg;
    const FieldPlan* fp;
    bool element;
  };

  Frame* Top() { return frames_.empty() ? nullptr : &frames_.back(); }

  Target TargetOf(Frame* f) {
    switch (f->kind) {
      case Frame::kMessage:
        return {f->holder, f->pending, false};
      case Frame::kList:
        return {f->msg, f->field, true};
      default:  // kMap
        return {f->entry, f->field->map_value.get(), false};
    }
  }

  // The path of the value to come (without a leading dot).
  std::string Path() {
    std::string p;
    for (const Frame& f : frames_) {
      if (f.via.field != nullptr) {
        absl::StrAppend(&p, ".", f.via.field->json_name);
      } else if (f.via.index >= 0) {
        absl::StrAppend(&p, "[", f.via.index, "]");
      } else if (f.kind != Frame::kSkip && &f != &frames_[0]) {
        absl::StrAppend(&p, "[", f.via.key, "]");
      }
    }
    return p;
  }
  std::string ValuePath() {
    std::string p = Path();
    Frame* f = Top();
    if (f != nullptr) {
      if (f->kind == Frame::kMessage && f->pending != nullptr) {
        absl::StrAppend(&p, ".", f->pending->json_name);
      } else if (f->kind == Frame::kList) {
        absl::StrAppend(&p, "[", f->index, "]");
      } else if (f->kind == Frame::kMap) {
        absl::StrAppend(&p, "[", f->map_key, "]");
      }
    }
    if (!p.empty() && p[0] == '.') p.erase(0, 1);
    return p;
  }

  void Issue(absl::string_view what, std::string path) {
    if (options_.validation == FieldValidation::kIgnore) return;
    if (!path.empty() && path[0] == '.') path.erase(0, 1);
    if (issues_.size() < 100) issues_.push_back(absl::StrCat(what, " \"", path, "\""));
  }

  bool Fail(absl::string_view path, absl::string_view message) {
    if (path.empty()) {
      status_ = absl::InvalidArgumentError(message);
    } else {
      status_ = absl::InvalidArgumentError(absl::StrCat(path, ": ", message));
    }
    return false;
  }
  bool TypeError(absl::string_view expected, const JsonValueRef& v) {
    std::string got;
    switch (v.kind) {
      case JsonValueRef::Kind::kString:
        got = "a string";
        break;
      case JsonValueRef::Kind::kNumber:
        got = absl::StrCat("number ", v.text);
        break;
      case JsonValueRef::Kind::kBool:
        got = absl::StrCat("bool ", v.text);
        break;
      case JsonValueRef::Kind::kObject:
        got = "an object";
        break;
      case JsonValueRef::Kind::kArray:
        got = "an array";
        break;
      case JsonValueRef::Kind::kNull:
        got = "null";
        break;
    }
    return Fail(ValuePath(), absl::StrCat("expected ", expected, ", got ", got));
  }

  bool Done() {
    last_end_ = stream_.Tell();
    return true;
  }

  // A complete value was consumed at the top frame.
  bool AfterValue() {
    Frame* f = Top();
    if (f != nullptr) {
      if (f->kind == Frame::kList) {
        ++f->index;
      } else if (f->kind == Frame::kMessage) {
        f->pending = nullptr;
        f->type_meta = nullptr;
      }
    }
    return Done();
  }

  size_t ValueStart() const {
    size_t i = last_end_;
    while (i < input_.size() && (input_[i] == ' ' || input_[i] == '\t' || input_[i] == '\n' ||
                                 input_[i] == '\r' || input_[i] == ',' || input_[i] == ':')) {
      ++i;
    }
    return i;
  }

  static const char* Expected(const FieldPlan& fp) {
    switch (fp.fd->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT32:
      case FieldDescriptor::CPPTYPE_UINT64:
        return "an integer";
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT:
        return "a number";
      case FieldDescriptor::CPPTYPE_BOOL:
        return "a boolean";
      case FieldDescriptor::CPPTYPE_ENUM:
      case FieldDescriptor::CPPTYPE_STRING:
        return "a string";
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return "an object";
    }
    return "a value";
  }

  google::protobuf::Message* SubMessage(const Target& t) {
    const Reflection* r = t.msg->GetReflection();
    return t.element ? r->AddMessage(t.msg, t.fp->fd) : r->MutableMessage(t.msg, t.fp->fd);
  }

  bool Special(const Target& t, const JsonValueRef& v) {
    google::protobuf::Message* sub = SubMessage(t);
    sub->Clear();
    absl::Status s = t.fp->message->special->Decode(v, sub);
    if (!s.ok()) return Fail(ValuePath(), s.message());
    return AfterValue();
  }

  bool Scalar(JsonValueRef& v) {
    Frame* f = Top();
    if (f == nullptr) return TypeError("a JSON object", v);
    if (f->kind >= Frame::kSkip) return Done();
    if (f->kind == Frame::kMessage && f->type_meta != nullptr) {
      if (v.kind != JsonValueRef::Kind::kString) return TypeError("a string", v);
      f->type_meta->assign(v.string_value.data(), v.string_value.size());
      if (f->pending == nullptr) return AfterValue();
    }
    if (f->kind == Frame::kMessage && f->pending == nullptr) return AfterValue();  // unknown
    Target t = TargetOf(f);
    const FieldPlan& fp = *t.fp;
    if (fp.repeated && !t.element) {
      return TypeError(fp.map ? "an object" : "an array", v);
    }
    if (fp.message != nullptr) {
      if (fp.message->special == nullptr) return TypeError("an object", v);
      if (v.kind == JsonValueRef::Kind::kString) {
        v.text = input_.substr(ValueStart(), stream_.Tell() - ValueStart());
      }
      return Special(t, v);
    }
    const Reflection* r = t.msg->GetReflection();
    const FieldDescriptor* fd = fp.fd;
    bool add = t.element;
    switch (fd->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING: {
        if (v.kind != JsonValueRef::Kind::kString) return TypeError("a string", v);
        if (fd->type() == FieldDescriptor::TYPE_BYTES) {
          std::string bytes;
          if (!absl::Base64Unescape(v.string_value, &bytes)) {
            return Fail(ValuePath(), "illegal base64 data");
          }
          add ? r->AddString(t.msg, fd, std::move(bytes))
              : r->SetString(t.msg, fd, std::move(bytes));
        } else {
          std::string s(v.string_value.data(), v.string_value.size());
          add ? r->AddString(t.msg, fd, std::move(s)) : r->SetString(t.msg, fd, std::move(s));
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT32:
      case FieldDescriptor::CPPTYPE_UINT64: {
        if (v.kind != JsonValueRef::Kind::kNumber) return TypeError("an integer", v);
        if (!SetInteger(t.msg, fd, add, v.text)) {
          bool integral = v.text.find_first_of(".eE") == absl::string_view::npos;
          return Fail(ValuePath(), integral
                                       ? absl::StrCat("number ", v.text, " is out of range for ",
                                                      fd->cpp_type_name())
                                       : absl::StrCat("expected an integer, got number ", v.text));
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT: {
        if (v.kind != JsonValueRef::Kind::kNumber) return TypeError("a number", v);
        double d;
        if (!absl::SimpleAtod(v.text, &d) || !std::isfinite(d) ||
            (fd->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT &&
             std::fabs(d) > std::numeric_limits<float>::max())) {
          return Fail(ValuePath(), absl::StrCat("number ", v.text, " is out of range"));
        }
        if (fd->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
          add ? r->AddFloat(t.msg, fd, static_cast<float>(d))
              : r->SetFloat(t.msg, fd, static_cast<float>(d));
        } else {
          add ? r->AddDouble(t.msg, fd, d) : r->SetDouble(t.msg, fd, d);
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        if (v.kind != JsonValueRef::Kind::kBool) return TypeError("a boolean", v);
        bool b = v.string_value == "true";
        add ? r->AddBool(t.msg, fd, b) : r->SetBool(t.msg, fd, b);
        break;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const google::protobuf::EnumValueDescriptor* ev = nullptr;
        if (v.kind == JsonValueRef::Kind::kString) {
          ev = fd->enum_type()->FindValueByName(std::string(v.string_value));
        } else if (v.kind == JsonValueRef::Kind::kNumber) {
          int n;
          if (absl::SimpleAtoi(v.text, &n)) ev = fd->enum_type()->FindValueByNumber(n);
        } else {
          return TypeError("a string", v);
        }
        if (ev == nullptr) return Fail(ValuePath(), absl::StrCat("unknown value ", v.text));
        add ? r->AddEnum(t.msg, fd, ev) : r->SetEnum(t.msg, fd, ev);
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return TypeError("an object", v);
    }
    return AfterValue();
  }

  static bool SetInteger(google::protobuf::Message* m, const FieldDescriptor* fd, bool add,
                         absl::string_view text) {
    const Reflection* r = m->GetReflection();
    switch (fd->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: {
        int32_t x;
        if (!absl::SimpleAtoi(text, &x)) return false;
        add ? r->AddInt32(m, fd, x) : r->SetInt32(m, fd, x);
        return true;
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t x;
        if (!absl::SimpleAtoi(text, &x)) return false;
        add ? r->AddInt64(m, fd, x) : r->SetInt64(m, fd, x);
        return true;
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        uint32_t x;
        if (text.empty() || text[0] == '-' || !absl::SimpleAtoi(text, &x)) return false;
        add ? r->AddUInt32(m, fd, x) : r->SetUInt32(m, fd, x);
        return true;
      }
      default: {
        uint64_t x;
        if (text.empty() || text[0] == '-' || !absl::SimpleAtoi(text, &x)) return false;
        add ? r->AddUInt64(m, fd, x) : r->SetUInt64(m, fd, x);
        return true;
      }
    }
  }

  bool MapKey(Frame* f, absl::string_view key) {
    f->map_key.assign(key.data(), key.size());
    for (auto& [k, e] : f->entries) {
      if (k == key) {
        Issue("duplicate field", absl::StrCat(Path(), "[", key, "]"));
        e->Clear();
        f->entry = e;
        return SetMapKey(f, e, key);
      }
    }
    google::protobuf::Message* e = f->msg->GetReflection()->AddMessage(f->msg, f->field->fd);
    f->entries.emplace_back(std::string(key), e);
    f->entry = e;
    return SetMapKey(f, e, key);
  }

  bool SetMapKey(Frame* f, google::protobuf::Message* e, absl::string_view key) {
    const FieldDescriptor* kf = f->field->map_key;
    if (kf->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      e->GetReflection()->SetString(e, kf, std::string(key));
      return Done();
    }
    if (kf->cpp_type() == FieldDescriptor::CPPTYPE_BOOL) {
      if (key != "true" && key != "false") return Fail(ValuePath(), "invalid boolean map key");
      e->GetReflection()->SetBool(e, kf, key == "true");
      return Done();
    }
    if (!SetInteger(e, kf, false, key)) return Fail(ValuePath(), "invalid integer map key");
    return Done();
  }

  bool StartContainer(bool object) {
    if (++depth_ > options_.max_depth) {
      return Fail(ValuePath(),
                  absl::StrCat("exceeds the maximum nesting depth of ", options_.max_depth));
    }
    Frame* f = Top();
    if (f == nullptr) {
      if (!object) return Fail("", "expected a JSON object, got an array");
      Frame& root = frames_.emplace_back();
      root.kind = Frame::kMessage;
      root.msg = root_;
      root.plan = root_plan_;
      root.seen.resize((root_plan_->fields.size() + 63) / 64);
      return Done();
    }
    if (f->kind >= Frame::kSkip || (f->kind == Frame::kMessage && f->pending == nullptr)) {
      if (f->kind == Frame::kMessage && f->type_meta != nullptr) {
        return Fail(f->type_meta == &result_.type_meta.kind ? "kind" : "apiVersion",
                    "expected a string");
      }
      Frame& s = PushFrame(Frame::kSkip);
      (void)s;
      return Done();
    }
    Target t = TargetOf(f);
    if (f->kind == Frame::kMessage && f->type_meta != nullptr) {
      return TypeError("a string",
                       {object ? JsonValueRef::Kind::kObject : JsonValueRef::Kind::kArray});
    }
    const FieldPlan* fp = t.fp;
    JsonValueRef::Kind got = object ? JsonValueRef::Kind::kObject : JsonValueRef::Kind::kArray;
    if (fp->repeated && !t.element) {
      if (fp->map != object) return TypeError(fp->map ? "an object" : "an array", {got});
      Via seg = ViaOf(f);
      if (!fp->map) t.msg->GetReflection()->ClearField(t.msg, fp->fd);  // Go resets slices.
      Frame& n = PushFrame(fp->map ? Frame::kMap : Frame::kList);
      n.msg = t.msg;
      n.field = fp;
      n.via = std::move(seg);
      return Done();
    }
    if (fp->message != nullptr && fp->message->special != nullptr) {
      Via seg = ViaOf(f);
      Frame& n = PushFrame(Frame::kCapture);
      n.via = std::move(seg);
      n.capture_start = stream_.Tell() - 1;
      n.capture_into = nullptr;
      n.field = fp;
      n.object = object;
      n.msg = t.msg;
      n.index = t.element ? 1 : 0;
      return Done();
    }
    if (fp->message == nullptr || !object) return TypeError(Expected(*fp), {got});
    Via seg = ViaOf(f);
    google::protobuf::Message* sub = SubMessage(t);
    Frame& n = PushFrame(Frame::kMessage);
    n.msg = sub;
    n.plan = fp->message;
    n.via = std::move(seg);
    n.seen.resize((fp->message->fields.size() + 63) / 64);
    return Done();
  }

  static Via ViaOf(const Frame* f) {
    Via v;
    switch (f->kind) {
      case Frame::kMessage:
        v.field = f->pending;
        break;
      case Frame::kList:
        v.index = f->index;
        break;
      default:
        v.key = f->map_key;
    }
    return v;
  }

  Frame& PushFrame(Frame::Kind kind) {
    Frame& f = frames_.emplace_back();
    f.kind = kind;
    return f;
  }

  bool EndContainer() {
    --depth_;
    Frame done = std::move(frames_.back());
    frames_.pop_back();
    if (done.kind == Frame::kCapture) {
      size_t end = stream_.Tell();
      JsonValueRef v;
      v.kind = done.object ? JsonValueRef::Kind::kObject : JsonValueRef::Kind::kArray;
      v.text = input_.substr(done.capture_start, end - done.capture_start);
      Target t{done.msg, done.field, done.index == 1};
      return Special(t, v);
    }
    if (frames_.empty()) return Done();
    return AfterValue();
  }

  absl::string_view input_;
  const Stream& stream_;
  const JsonDecodeOptions& options_;
  google::protobuf::Message* root_;
  const MessagePlan* root_plan_;
  std::vector<Frame> frames_;
  int depth_ = 0;
  size_t last_end_ = 0;
  absl::Status status_;
  std::vector<std::string> issues_;
  JsonDecodeResult result_;
};

// Reads the top-level apiVersion and kind; stops once both are known.
class TypeMetaPeeker {
 public:
  explicit TypeMetaPeeker(int max_depth) : max_depth_(max_depth) {}
  bool Null() { return Value(); }
  bool Bool(bool) { return Value(); }
  bool RawNumber(const char*, SizeType, bool) { return Value(); }
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }
  bool String(const char* s, SizeType n, bool) {
    if (depth_ == 1 && pending_ != nullptr) {
      pending_->assign(s, n);
      pending_ = nullptr;
      if (++found_ == 2) return Stop();
      return true;
    }
    return Value();
  }
  bool Key(const char* s, SizeType n, bool) {
    if (depth_ == 1) {
      absl::string_view k(s, n);
      pending_ = k == "kind" ? &tm_.kind : k == "apiVersion" ? &tm_.api_version : nullptr;
    }
    return true;
  }
  bool StartObject() { return Start(true); }
  bool StartArray() { return Start(false); }
  bool EndObject(SizeType) {
    --depth_;
    return true;
  }
  bool EndArray(SizeType) {
    --depth_;
    return true;
  }

  absl::Status status;
  bool stopped = false;
  TypeMeta tm_;

 private:
  bool Stop() {
    stopped = true;
    return false;
  }
  bool Value() {
    if (depth_ == 0) {
      status = absl::InvalidArgumentError("expected a JSON object");
      return false;
    }
    if (depth_ == 1 && pending_ != nullptr) {
      status = absl::InvalidArgumentError(
          absl::StrCat(pending_ == &tm_.kind ? "kind" : "apiVersion", ": expected a string"));
      return false;
    }
    return true;
  }
  bool Start(bool object) {
    if (depth_ == 0 && !object) {
      status = absl::InvalidArgumentError("expected a JSON object, got an array");
      return false;
    }
    if (depth_ == 1 && pending_ != nullptr) return Value();
    if (++depth_ > max_depth_) {
      status = absl::InvalidArgumentError(
          absl::StrCat("exceeds the maximum nesting depth of ", max_depth_));
      return false;
    }
    return true;
  }

  int max_depth_;
  int depth_ = 0;
  int found_ = 0;
  std::string* pending_ = nullptr;
};

absl::Status CheckSize(absl::string_view json, const JsonDecodeOptions& options) {
  if (json.size() > options.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "input of ", json.size(), " bytes exceeds the limit of ", options.max_bytes, " bytes"));
  }
  return absl::OkStatus();
}

template <typename Handler>
rapidjson::ParseResult Parse(Stream& stream, Handler& handler, int max_depth) {
  rapidjson::Reader reader;
  // The recursive parser is faster; the handler bounds the recursion by max_depth, so use
  // the iterative one only when a caller allows very deep documents.
  if (max_depth > 1000) {
    return reader.Parse<kParseFlags | rapidjson::kParseIterativeFlag>(stream, handler);
  }
  return reader.Parse<kParseFlags>(stream, handler);
}

}  // namespace
}  // namespace codec_internal

using codec_internal::FieldPlan;
using codec_internal::MessagePlan;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

JsonCodec::JsonCodec(JsonSpecialTypes special_types) : special_types_(std::move(special_types)) {}
JsonCodec::~JsonCodec() = default;

const JsonCodec& JsonCodec::Default() {
  static const JsonCodec* codec = new JsonCodec(NewBuiltinJsonSpecialTypes());
  return *codec;
}

const MessagePlan* JsonCodec::PlanFor(const Descriptor* d) const {
  MutexLock lock(&mu_);
  auto it = plans_.find(d);
  if (it != plans_.end()) return it->second.get();
  return BuildPlanLocked(d);
}

const MessagePlan* JsonCodec::BuildPlanLocked(const Descriptor* d) const {
  auto it = plans_.find(d);
  if (it != plans_.end()) return it->second.get();
  auto owned = std::make_unique<MessagePlan>();
  MessagePlan* plan = owned.get();
  plans_.emplace(d, std::move(owned));  // Before the fields: types may be recursive.
  plan->descriptor = d;
  plan->special = special_types_.Find(d->full_name());
  if (plan->special != nullptr) return plan;
  std::vector<const FieldDescriptor*> fds;
  for (int i = 0; i < d->field_count(); ++i) fds.push_back(d->field(i));
  // Declaration order: the schemas declare fields in Go struct order (as Kubernetes'
  // generated.proto does, whose numbers are not always ascending), and encoding/json writes
  // struct fields in that order.
  for (const FieldDescriptor* fd : fds) {
    if (IsInline(fd)) {
      const MessagePlan* child = BuildPlanLocked(fd->message_type());
      for (const auto& cf : child->fields) {
        auto fp = std::make_unique<FieldPlan>(*cf);
        fp->inline_path.insert(fp->inline_path.begin(), fd);
        fp->index = static_cast<int>(plan->fields.size());
        plan->by_name.emplace(fp->json_name, fp.get());
        plan->fields.push_back(std::move(fp));
      }
      continue;
    }
    auto fp = std::make_unique<FieldPlan>();
    fp->fd = fd;
    fp->json_name = fd->json_name();
    fp->quoted_key.clear();
    AppendJsonString(fp->json_name, &fp->quoted_key);
    fp->quoted_key.push_back(':');
    fp->json_always = fd->options().GetExtension(rudder::api::json_always);
    fp->repeated = fd->is_repeated();
    fp->map = fd->is_map();
    fp->index = static_cast<int>(plan->fields.size());
    if (fp->map) {
      const FieldDescriptor* key = fd->message_type()->map_key();
      const FieldDescriptor* value = fd->message_type()->map_value();
      fp->map_key = key;
      fp->map_value = std::make_shared<FieldPlan>();
      fp->map_value->fd = value;
      fp->map_value->json_name = fp->json_name;
      if (value->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        fp->map_value->message = BuildPlanLocked(value->message_type());
      }
    } else if (fd->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      fp->message = BuildPlanLocked(fd->message_type());
    }
    plan->by_name.emplace(fp->json_name, fp.get());
    plan->fields.push_back(std::move(fp));
  }
  return plan;
}

bool JsonCodec::IsInline(const FieldDescriptor* fd) const {
  if (fd->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || fd->is_repeated()) return false;
  if (special_types_.IsInlineField(fd->full_name())) return true;
  // An option rudder.api.json_inline, if the schema defines one.
  static const FieldDescriptor* option =
      google::protobuf::DescriptorPool::generated_pool()->FindExtensionByName(
          "rudder.api.json_inline");
  if (option == nullptr || option->cpp_type() != FieldDescriptor::CPPTYPE_BOOL) return false;
  const google::protobuf::FieldOptions& o = fd->options();
  return o.GetReflection()->HasField(o, option) && o.GetReflection()->GetBool(o, option);
}

namespace {

// rudder.api.unstructured.CustomObject (lib/api/proto/unstructured): metadata (1, ObjectMeta),
// status (2, RawExtension) and content (3, bytes: the other top-level fields as a JSON object).
// Its JSON form is the object itself with sorted keys; handled here by field number so the
// codec needs no generated code.
constexpr char kCustomObject[] = "rudder.api.unstructured.CustomObject";

bool IsCustomObject(const Descriptor* d) { return d->full_name() == kCustomObject; }

absl::Status EncodeCustomObject(const JsonCodec& codec, const google::protobuf::Message& m,
                                const JsonEncodeOptions& options, std::string* out) {
  const Descriptor* d = m.GetDescriptor();
  const google::protobuf::Reflection* r = m.GetReflection();
  const FieldDescriptor* meta_fd = d->FindFieldByNumber(1);
  const FieldDescriptor* status_fd = d->FindFieldByNumber(2);
  const FieldDescriptor* content_fd = d->FindFieldByNumber(3);
  if (meta_fd == nullptr || status_fd == nullptr || content_fd == nullptr) {
    return absl::InternalError("CustomObject lacks its fields");
  }
  // (key, JSON value) pairs, sorted by key.
  std::vector<std::pair<std::string, std::string>> members;
  if (!options.api_version.empty()) {
    std::string v;
    AppendJsonString(options.api_version, &v);
    members.emplace_back("apiVersion", std::move(v));
  }
  if (!options.kind.empty()) {
    std::string v;
    AppendJsonString(options.kind, &v);
    members.emplace_back("kind", std::move(v));
  }
  if (r->HasField(m, meta_fd)) {
    JsonEncodeOptions sub;
    sub.max_depth = options.max_depth - 1;
    std::string v;
    RUDDER_RETURN_IF_ERROR(codec.Encode(r->GetMessage(m, meta_fd), sub, &v));
    members.emplace_back("metadata", std::move(v));
  }
  if (r->HasField(m, status_fd)) {
    const google::protobuf::Message& raw = r->GetMessage(m, status_fd);
    const FieldDescriptor* raw_fd = raw.GetDescriptor()->FindFieldByNumber(1);
    std::string bytes = raw_fd ? raw.GetReflection()->GetString(raw, raw_fd) : "";
    if (!bytes.empty()) {
      RUDDER_RETURN_IF_ERROR(codec_internal::ValidateJson(bytes));
      std::string v;
      codec_internal::AppendCompactJson(bytes, /*escape_html=*/false, &v);
      members.emplace_back("status", std::move(v));
    }
  }
  if (r->HasField(m, content_fd)) {
    RUDDER_ASSIGN_OR_RETURN(
        codec_internal::JsonNode content,
        codec_internal::ParseJsonNode(r->GetString(m, content_fd), options.max_depth));
    if (content.kind != codec_internal::JsonNode::Kind::kObject) {
      return absl::InvalidArgumentError("CustomObject content is not a JSON object");
    }
    for (const auto& [k, v] : content.members) {
      if (k == "apiVersion" || k == "kind" || k == "metadata" || k == "status") continue;
      std::string text;
      codec_internal::AppendJsonNode(v, &text);
      members.emplace_back(k, std::move(text));
    }
  }
  std::sort(members.begin(), members.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string compact = "{";
  for (size_t i = 0; i < members.size(); ++i) {
    if (i > 0) compact.push_back(',');
    AppendJsonString(members[i].first, &compact);
    compact.push_back(':');
    compact.append(members[i].second);
  }
  compact.push_back('}');
  if (options.indent) {
    codec_internal::AppendIndentedJson(compact, "    ", out);
  } else {
    out->append(compact);
  }
  return absl::OkStatus();
}

absl::StatusOr<JsonDecodeResult> DecodeCustomObject(const JsonCodec& codec, absl::string_view json,
                                                    google::protobuf::Message* m,
                                                    const JsonDecodeOptions& options) {
  const Descriptor* d = m->GetDescriptor();
  const google::protobuf::Reflection* r = m->GetReflection();
  const FieldDescriptor* meta_fd = d->FindFieldByNumber(1);
  const FieldDescriptor* status_fd = d->FindFieldByNumber(2);
  const FieldDescriptor* content_fd = d->FindFieldByNumber(3);
  if (meta_fd == nullptr || status_fd == nullptr || content_fd == nullptr) {
    return absl::InternalError("CustomObject lacks its fields");
  }
  RUDDER_RETURN_IF_ERROR(codec_internal::CheckJsonBytes(json));
  RUDDER_ASSIGN_OR_RETURN(codec_internal::JsonNode root,
                          codec_internal::ParseJsonNode(json, options.max_depth));
  if (root.kind != codec_internal::JsonNode::Kind::kObject) {
    return absl::InvalidArgumentError("expected a JSON object");
  }
  JsonDecodeResult result;
  codec_internal::JsonNode rest = codec_internal::JsonNode::Object();
  for (auto& [k, v] : root.members) {
    if (k == "apiVersion" || k == "kind") {
      if (v.kind == codec_internal::JsonNode::Kind::kNull) continue;
      if (v.kind != codec_internal::JsonNode::Kind::kString) {
        return absl::InvalidArgumentError(absl::StrCat(k, ": expected a string"));
      }
      (k == "kind" ? result.type_meta.kind : result.type_meta.api_version) = v.scalar;
    } else if (k == "metadata") {
      if (v.kind == codec_internal::JsonNode::Kind::kNull) continue;
      if (v.kind != codec_internal::JsonNode::Kind::kObject) {
        return absl::InvalidArgumentError("metadata: expected an object");
      }
      std::string text;
      codec_internal::AppendJsonNode(v, &text);
      absl::StatusOr<JsonDecodeResult> sub =
          codec.Decode(text, r->MutableMessage(m, meta_fd), options);
      if (!sub.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("metadata.", sub.status().message()));
      }
      for (const std::string& w : sub->warnings) {
        // `unknown field "x"` -> `unknown field "metadata.x"`.
        std::string moved = w;
        size_t q = moved.find('"');
        if (q != std::string::npos) moved.insert(q + 1, "metadata.");
        result.warnings.push_back(std::move(moved));
      }
    } else if (k == "status") {
      if (v.kind == codec_internal::JsonNode::Kind::kNull) continue;
      std::string text;
      codec_internal::AppendJsonNode(v, &text);
      google::protobuf::Message* raw = r->MutableMessage(m, status_fd);
      const FieldDescriptor* raw_fd = raw->GetDescriptor()->FindFieldByNumber(1);
      if (raw_fd == nullptr) return absl::InternalError("CustomObject status lacks raw");
      raw->GetReflection()->SetString(raw, raw_fd, std::move(text));
    } else {
      rest.members.emplace_back(k, std::move(v));  // already sorted and unique
    }
  }
  if (!rest.members.empty()) {
    std::string text;
    codec_internal::AppendJsonNode(rest, &text);
    r->SetString(m, content_fd, std::move(text));
  }
  return result;
}

}  // namespace

absl::Status JsonCodec::Encode(const google::protobuf::Message& m, const JsonEncodeOptions& options,
                               std::string* out) const {
  if (IsCustomObject(m.GetDescriptor())) return EncodeCustomObject(*this, m, options, out);
  const MessagePlan* plan = PlanFor(m.GetDescriptor());
  codec_internal::Encoder enc(options.max_depth);
  if (!options.indent) return enc.Message(m, *plan, 1, &options, out);
  std::string compact;
  RUDDER_RETURN_IF_ERROR(enc.Message(m, *plan, 1, &options, &compact));
  codec_internal::AppendIndentedJson(compact, "    ", out);
  return absl::OkStatus();
}

absl::StatusOr<std::string> JsonCodec::Encode(const google::protobuf::Message& m,
                                              const JsonEncodeOptions& options) const {
  std::string out;
  RUDDER_RETURN_IF_ERROR(Encode(m, options, &out));
  return out;
}

absl::StatusOr<JsonDecodeResult> JsonCodec::Decode(absl::string_view json,
                                                   google::protobuf::Message* m,
                                                   const JsonDecodeOptions& options) const {
  return DecodeFrom(json, nullptr, m, options);
}

absl::StatusOr<JsonDecodeResult> JsonCodec::DecodeString(const std::string& json,
                                                         google::protobuf::Message* m,
                                                         const JsonDecodeOptions& options) const {
  return DecodeFrom(json, json.c_str(), m, options);
}

absl::StatusOr<JsonDecodeResult> JsonCodec::DecodeFrom(absl::string_view json,
                                                       const char* terminated,
                                                       google::protobuf::Message* m,
                                                       const JsonDecodeOptions& options) const {
  RUDDER_RETURN_IF_ERROR(codec_internal::CheckSize(json, options));
  m->Clear();
  if (IsCustomObject(m->GetDescriptor())) return DecodeCustomObject(*this, json, m, options);
  const MessagePlan* plan = PlanFor(m->GetDescriptor());
  if (plan->special != nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        m->GetDescriptor()->full_name(), " has a special JSON form; decode its holder instead"));
  }
  // CheckJsonBytes rejects NUL, so the terminating one is the first the parser meets.
  RUDDER_RETURN_IF_ERROR(codec_internal::CheckJsonBytes(json));
  std::string buf;
  if (terminated == nullptr) {
    buf.assign(json.data(), json.size());
    terminated = buf.c_str();
  }
  codec_internal::Stream stream(terminated);
  codec_internal::Decoder dec(json, stream, options, m, plan);
  rapidjson::ParseResult r = codec_internal::Parse(stream, dec, options.max_depth);
  return dec.Finish(r);
}

absl::StatusOr<std::string> EncodeJson(const google::protobuf::Message& m,
                                       const JsonEncodeOptions& options) {
  return JsonCodec::Default().Encode(m, options);
}

absl::StatusOr<JsonDecodeResult> DecodeJson(absl::string_view json, google::protobuf::Message* m,
                                            const JsonDecodeOptions& options) {
  return JsonCodec::Default().Decode(json, m, options);
}

absl::StatusOr<JsonDecodeResult> DecodeJsonString(const std::string& json,
                                                  google::protobuf::Message* m,
                                                  const JsonDecodeOptions& options) {
  return JsonCodec::Default().DecodeString(json, m, options);
}

absl::StatusOr<TypeMeta> PeekTypeMeta(absl::string_view json, const JsonDecodeOptions& options) {
  RUDDER_RETURN_IF_ERROR(codec_internal::CheckSize(json, options));
  // A bounded, validating stream: peeking usually stops after a few dozen bytes, so the input
  // is neither copied nor checked as a whole.
  rapidjson::MemoryStream ms(json.data(), json.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> stream(ms);
  codec_internal::TypeMetaPeeker peeker(options.max_depth);
  rapidjson::Reader reader;
  rapidjson::ParseResult r =
      options.max_depth > 1000
          ? reader.Parse<rapidjson::kParseValidateEncodingFlag | codec_internal::kParseFlags |
                         rapidjson::kParseIterativeFlag>(stream, peeker)
          : reader.Parse<rapidjson::kParseValidateEncodingFlag | codec_internal::kParseFlags>(
                stream, peeker);
  if (peeker.stopped) return peeker.tm_;
  if (!peeker.status.ok()) return peeker.status;
  if (r.IsError()) {
    return absl::InvalidArgumentError(
        codec_internal::DescribeJsonParseError(json, r.Code(), r.Offset()));
  }
  return peeker.tm_;
}

absl::StatusOr<std::string> FormatJson(absl::string_view json, bool indent) {
  RUDDER_RETURN_IF_ERROR(codec_internal::ValidateJson(json));
  std::string out;
  if (indent) {
    std::string compact;
    codec_internal::AppendCompactJson(json, /*escape_html=*/false, &compact);
    codec_internal::AppendIndentedJson(compact, "    ", &out);
  } else {
    codec_internal::AppendCompactJson(json, /*escape_html=*/false, &out);
  }
  return out;
}

}  // namespace rudder::api
