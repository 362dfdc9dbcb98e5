#include "lib/api/codec/yaml.h"

#include <charconv>
#include <cmath>
#include <exception>
#include <optional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "lib/api/codec/internal/json_node.h"
#include "lib/api/codec/internal/json_text.h"
#include "lib/base/status_macros.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace rudder::api {
namespace {

using codec_internal::JsonNode;

// ---------------------------------------------------------------------------------------
// YAML 1.1 scalar resolution (go-yaml v2's table, which Kubernetes uses).

struct Resolved {
  enum Kind { kNull, kBool, kInt, kFloat, kString, kTimestamp, kMerge } kind = kString;
  bool boolean = false;
  std::string number;  // kInt: decimal text
  double real = 0;     // kFloat
};

// Go's strconv.ParseInt/ParseUint(s, 0, 64) accepted forms, as decimal text.
std::optional<std::string> ParseGoInteger(absl::string_view s) {
  bool neg = false;
  absl::string_view d = s;
  if (!d.empty() && (d[0] == '+' || d[0] == '-')) {
    neg = d[0] == '-';
    d.remove_prefix(1);
  }
  if (d.empty()) return std::nullopt;
  int base = 10;
  if (d.size() >= 2 && d[0] == '0') {
    char p = absl::ascii_tolower(d[1]);
    if (p == 'x') {
      base = 16;
      d.remove_prefix(2);
    } else if (p == 'o') {
      base = 8;
      d.remove_prefix(2);
    } else if (p == 'b') {
      base = 2;
      d.remove_prefix(2);
    } else {
      base = 8;
      d.remove_prefix(1);
    }
    if (d.empty()) return std::nullopt;
  }
  unsigned __int128 v = 0;
  for (char c : d) {
    int digit;
    if (absl::ascii_isdigit(c)) {
      digit = c - '0';
    } else if (absl::ascii_isalpha(c)) {
      digit = absl::ascii_tolower(c) - 'a' + 10;
    } else {
      return std::nullopt;
    }
    if (digit >= base) return std::nullopt;
    v = v * base + digit;
    if (v > (static_cast<unsigned __int128>(1) << 64)) return std::nullopt;
  }
  if (neg) {
    if (v > (static_cast<unsigned __int128>(1) << 63)) return std::nullopt;
    if (v == 0) return std::string("0");
    if (v == (static_cast<unsigned __int128>(1) << 63)) return std::string("-9223372036854775808");
    return absl::StrCat("-", static_cast<uint64_t>(v));
  }
  if (v > UINT64_MAX) return std::nullopt;
  return absl::StrCat(static_cast<uint64_t>(v));
}

// ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool IsYamlStyleFloat(absl::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t start = i;
    while (i < s.size() && absl::ascii_isdigit(s[i])) ++i;
    if (i == start) return false;
  } else {
    size_t start = i;
    while (i < s.size() && absl::ascii_isdigit(s[i])) ++i;
    if (i == start) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && absl::ascii_isdigit(s[i])) ++i;
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t start = i;
    while (i < s.size() && absl::ascii_isdigit(s[i])) ++i;
    if (i == start) return false;
  }
  return i == s.size();
}

// ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ (quoted on output, as go-yaml does).
bool IsBase60Float(absl::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i >= s.size() || !absl::ascii_isdigit(s[i])) return false;
  ++i;
  while (i < s.size() && (absl::ascii_isdigit(s[i]) || s[i] == '_')) ++i;
  int groups = 0;
  while (i < s.size() && s[i] == ':') {
    ++i;
    if (i < s.size() && s[i] >= '0' && s[i] <= '5' && i + 1 < s.size() &&
        absl::ascii_isdigit(s[i + 1])) {
      i += 2;
    } else if (i < s.size() && absl::ascii_isdigit(s[i])) {
      ++i;
    } else {
      return false;
    }
    ++groups;
  }
  if (groups == 0) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && (absl::ascii_isdigit(s[i]) || s[i] == '_')) ++i;
  }
  return i == s.size();
}

bool Digits(absl::string_view s, size_t& i, size_t min, size_t max) {
  size_t start = i;
  while (i < s.size() && i - start < max && absl::ascii_isdigit(s[i])) ++i;
  return i - start >= min;
}

// go-yaml's timestamp forms: 2006-1-2, 2006-1-2T15:4:5.999999999Z07:00 (T or t), and
// 2006-1-2 15:4:5.999999999.
bool IsTimestamp(absl::string_view s) {
  size_t i = 0;
  if (!Digits(s, i, 4, 4) || i >= s.size() || s[i++] != '-') return false;
  if (!Digits(s, i, 1, 2) || i >= s.size() || s[i++] != '-') return false;
  if (!Digits(s, i, 1, 2)) return false;
  if (i == s.size()) return true;
  char sep = s[i++];
  if (sep != 'T' && sep != 't' && sep != ' ') return false;
  if (!Digits(s, i, 1, 2) || i >= s.size() || s[i++] != ':') return false;
  if (!Digits(s, i, 1, 2) || i >= s.size() || s[i++] != ':') return false;
  if (!Digits(s, i, 1, 2)) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!Digits(s, i, 1, 9)) return false;
  }
  if (sep == ' ') return i == s.size();
  if (i == s.size()) return false;
  if (s[i] == 'Z') return i + 1 == s.size();
  if (s[i] != '+' && s[i] != '-') return false;
  ++i;
  if (!Digits(s, i, 2, 2) || i >= s.size() || s[i++] != ':') return false;
  return Digits(s, i, 2, 2) && i == s.size();
}

Resolved ResolvePlain(absl::string_view s) {
  Resolved r;
  static constexpr absl::string_view kTrue[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                                "True", "TRUE", "on",  "On",  "ON"};
  static constexpr absl::string_view kFalse[] = {"n",     "N",     "no",  "No",  "NO", "false",
                                                 "False", "FALSE", "off", "Off", "OFF"};
  static constexpr absl::string_view kNull[] = {"", "~", "null", "Null", "NULL"};
  for (absl::string_view t : kTrue) {
    if (s == t) {
      r.kind = Resolved::kBool;
      r.boolean = true;
      return r;
    }
  }
  for (absl::string_view f : kFalse) {
    if (s == f) {
      r.kind = Resolved::kBool;
      return r;
    }
  }
  for (absl::string_view n : kNull) {
    if (s == n) {
      r.kind = Resolved::kNull;
      return r;
    }
  }
  if (s == "<<") {
    r.kind = Resolved::kMerge;
    return r;
  }
  if (s == ".nan" || s == ".NaN" || s == ".NAN") {
    r.kind = Resolved::kFloat;
    r.real = std::nan("");
    return r;
  }
  for (absl::string_view inf : {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}) {
    if (s == inf) {
      r.kind = Resolved::kFloat;
      r.real = HUGE_VAL;
      return r;
    }
  }
  for (absl::string_view inf : {"-.inf", "-.Inf", "-.INF"}) {
    if (s == inf) {
      r.kind = Resolved::kFloat;
      r.real = -HUGE_VAL;
      return r;
    }
  }
  char c = s[0];
  if (absl::ascii_isdigit(c) || c == '+' || c == '-' || c == '.') {
    std::string plain = absl::StrReplaceAll(s, {{"_", ""}});
    if (std::optional<std::string> i = ParseGoInteger(plain)) {
      r.kind = Resolved::kInt;
      r.number = *i;
      return r;
    }
    if (IsYamlStyleFloat(plain) || c == '.') {
      double d;
      if (absl::SimpleAtod(plain, &d)) {
        r.kind = Resolved::kFloat;
        r.real = d;
        return r;
      }
    }
    if (IsTimestamp(s)) {
      r.kind = Resolved::kTimestamp;
      return r;
    }
  }
  return r;
}

// Go's strconv.FormatFloat(v, 'g', -1, 64).
std::string FormatGoFloatG(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  size_t e = sci.find('e');
  int exp = std::stoi(sci.substr(e + 1));
  if (exp < -4 || exp >= 21 || exp >= 6) return sci;
  r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

// ---------------------------------------------------------------------------------------
// YAML -> JSON

class YamlConverter {
 public:
  explicit YamlConverter(const YamlOptions& options) : options_(options) {}

  absl::Status Convert(const YAML::Node& n, int depth, std::string* out) {
    if (out->size() > options_.max_bytes) {
      return Error(n, absl::StrCat("document exceeds ", options_.max_bytes,
                                   " bytes as JSON (after expanding aliases)"));
    }
    switch (n.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out->append("null");
        return absl::OkStatus();
      case YAML::NodeType::Scalar:
        return Scalar(n, out);
      case YAML::NodeType::Sequence: {
        if (depth >= options_.max_depth) return TooDeep(n);
        out->push_back('[');
        bool first = true;
        for (const YAML::Node& item : n) {
          if (!first) out->push_back(',');
          first = false;
          RUDDER_RETURN_IF_ERROR(Convert(item, depth + 1, out));
        }
        out->push_back(']');
        return absl::OkStatus();
      }
      case YAML::NodeType::Map: {
        if (depth >= options_.max_depth) return TooDeep(n);
        out->push_back('{');
        bool first = true;
        RUDDER_RETURN_IF_ERROR(Mapping(n, depth, nullptr, &first, out));
        out->push_back('}');
        return absl::OkStatus();
      }
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Error(const YAML::Node& n, absl::string_view msg) {
    YAML::Mark m = n.Mark();
    if (m.is_null()) return absl::InvalidArgumentError(absl::StrCat("yaml: ", msg));
    return absl::InvalidArgumentError(
        absl::StrCat("yaml: line ", m.line + 1, ", column ", m.column + 1, ": ", msg));
  }
  absl::Status TooDeep(const YAML::Node& n) {
    return Error(n, absl::StrCat("exceeds the maximum nesting depth of ", options_.max_depth));
  }

  static bool IsMergeKey(const YAML::Node& k) {
    return k.Type() == YAML::NodeType::Scalar && k.Tag() == "?" && k.Scalar() == "<<";
  }

  // Writes the members of mapping `n`, skipping keys in `skip` (explicit keys override
  // merged ones).
  absl::Status Mapping(const YAML::Node& n, int depth, const std::vector<std::string>* skip,
                       bool* first, std::string* out) {
    std::vector<std::string> explicit_keys;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (IsMergeKey(it->first)) continue;
      RUDDER_ASSIGN_OR_RETURN(std::string key, KeyString(it->first));
      explicit_keys.push_back(std::move(key));
    }
    if (skip != nullptr) explicit_keys.insert(explicit_keys.end(), skip->begin(), skip->end());
    size_t own = 0;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (IsMergeKey(it->first)) {
        RUDDER_RETURN_IF_ERROR(Merge(it->second, depth, &explicit_keys, first, out));
        continue;
      }
      const std::string& key = explicit_keys[own++];
      if (skip != nullptr && std::find(skip->begin(), skip->end(), key) != skip->end()) continue;
      if (!*first) out->push_back(',');
      *first = false;
      codec_internal::AppendJsonString(key, out);
      out->push_back(':');
      RUDDER_RETURN_IF_ERROR(Convert(it->second, depth + 1, out));
    }
    return absl::OkStatus();
  }

  absl::Status Merge(const YAML::Node& v, int depth, std::vector<std::string>* seen, bool* first,
                     std::string* out) {
    if (depth >= options_.max_depth) return TooDeep(v);
    auto merge_one = [&](const YAML::Node& m) -> absl::Status {
      if (m.Type() != YAML::NodeType::Map) {
        return Error(m, "map merge requires map or sequence of maps as the value");
      }
      RUDDER_RETURN_IF_ERROR(Mapping(m, depth + 1, seen, first, out));
      for (auto it = m.begin(); it != m.end(); ++it) {
        if (IsMergeKey(it->first)) continue;
        RUDDER_ASSIGN_OR_RETURN(std::string key, KeyString(it->first));
        seen->push_back(std::move(key));
      }
      return absl::OkStatus();
    };
    if (v.Type() == YAML::NodeType::Sequence) {
      for (const YAML::Node& m : v) RUDDER_RETURN_IF_ERROR(merge_one(m));
      return absl::OkStatus();
    }
    return merge_one(v);
  }

  absl::StatusOr<std::string> KeyString(const YAML::Node& k) {
    if (k.Type() == YAML::NodeType::Null) return std::string("null");
    if (k.Type() != YAML::NodeType::Scalar) {
      return Error(k, "mapping keys must be scalars");
    }
    if (k.Tag() != "?") return k.Scalar();
    Resolved r = ResolvePlain(k.Scalar());
    switch (r.kind) {
      case Resolved::kNull:
        return std::string("null");
      case Resolved::kBool:
        return std::string(r.boolean ? "true" : "false");
      case Resolved::kInt:
        return r.number;
      case Resolved::kFloat:
        return FormatGoFloatG(r.real);
      default:
        return k.Scalar();
    }
  }

  absl::Status Scalar(const YAML::Node& n, std::string* out) {
    const std::string& tag = n.Tag();
    const std::string& s = n.Scalar();
    Resolved r;
    if (tag == "?") {
      r = ResolvePlain(s);
    } else if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
               tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
      r = ResolvePlain(s);
      absl::string_view want = absl::string_view(tag).substr(18);
      bool ok = (want == "int" && r.kind == Resolved::kInt) ||
                (want == "float" && (r.kind == Resolved::kFloat || r.kind == Resolved::kInt)) ||
                (want == "bool" && r.kind == Resolved::kBool) ||
                (want == "null" && r.kind == Resolved::kNull);
      if (!ok) return Error(n, absl::StrCat("cannot decode !!", want, " `", s, "`"));
    }
    switch (r.kind) {
      case Resolved::kNull:
        out->append("null");
        break;
      case Resolved::kBool:
        out->append(r.boolean ? "true" : "false");
        break;
      case Resolved::kInt:
        out->append(r.number);
        break;
      case Resolved::kFloat:
        if (!std::isfinite(r.real)) {
          return Error(n, absl::StrCat("json: unsupported value: ", s));
        }
        RUDDER_RETURN_IF_ERROR(codec_internal::AppendGoFloat64(r.real, out));
        break;
      default:
        codec_internal::AppendJsonString(s, out);
    }
    return absl::OkStatus();
  }

  const YamlOptions& options_;
};

// ---------------------------------------------------------------------------------------
// JSON -> YAML (go-yaml v2's emitter choices, as kubectl prints)

constexpr int kBestWidth = 80;

// Decodes one UTF-8 code point at s[i]; returns its length (1 for invalid bytes).
int DecodeUtf8(absl::string_view s, size_t i, uint32_t* cp) {
  unsigned char c = s[i];
  int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (i + len > s.size()) len = 1;
  if (len == 1) {
    *cp = c;
    return 1;
  }
  uint32_t v = c & (0x7F >> len);
  for (int k = 1; k < len; ++k) v = (v << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  *cp = v;
  return len;
}

bool IsPrintable(uint32_t c) {
  return c == 0x0A || (c >= 0x20 && c <= 0x7E) || c == 0x85 || (c >= 0xA0 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD && c != 0xFEFF) || (c >= 0x10000 && c <= 0x10FFFF);
}
bool IsBreak(uint32_t c) {
  return c == '\r' || c == '\n' || c == 0x85 || c == 0x2028 || c == 0x2029;
}
bool IsBlankZ(uint32_t c) { return c == ' ' || c == '\t' || IsBreak(c) || c == 0; }

struct Analysis {
  bool multiline = false;
  bool block_plain_allowed = true;
  bool single_quoted_allowed = true;
  bool block_allowed = true;
};

// libyaml's yaml_emitter_analyze_scalar, for block context.
Analysis Analyze(absl::string_view s) {
  Analysis a;
  if (s.empty()) {
    a.block_plain_allowed = false;
    a.block_allowed = false;
    return a;
  }
  bool block_indicators = false, special = false, line_breaks = false;
  bool leading_space = false, leading_break = false, trailing_space = false, trailing_break = false,
       break_space = false, space_break = false;
  bool previous_space = false, previous_break = false;
  if (s.substr(0, 3) == "---" || s.substr(0, 3) == "...") block_indicators = true;
  bool preceded_by_ws = true;
  std::vector<uint32_t> cps;
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    i += DecodeUtf8(s, i, &cp);
    cps.push_back(cp);
  }
  for (size_t i = 0; i < cps.size(); ++i) {
    uint32_t c = cps[i];
    bool followed_by_ws = i + 1 >= cps.size() || IsBlankZ(cps[i + 1]);
    bool first = i == 0, last = i + 1 == cps.size();
    if (first) {
      if (c == '#' || c == ',' || c == '[' || c == ']' || c == '{' || c == '}' || c == '&' ||
          c == '*' || c == '!' || c == '|' || c == '>' || c == '\'' || c == '"' || c == '%' ||
          c == '@' || c == '`') {
        block_indicators = true;
      }
      if ((c == '?' || c == ':') && followed_by_ws) block_indicators = true;
      if (c == '-' && followed_by_ws) block_indicators = true;
    } else {
      if (c == ':' && followed_by_ws) block_indicators = true;
      if (c == '#' && preceded_by_ws) block_indicators = true;
    }
    if (!IsPrintable(c)) special = true;
    if (IsBreak(c)) line_breaks = true;
    if (c == ' ') {
      if (first) leading_space = true;
      if (last) trailing_space = true;
      if (previous_break) break_space = true;
      previous_space = true;
      previous_break = false;
    } else if (IsBreak(c)) {
      if (first) leading_break = true;
      if (last) trailing_break = true;
      if (previous_space) space_break = true;
      previous_break = true;
      previous_space = false;
    } else {
      previous_space = previous_break = false;
    }
    preceded_by_ws = IsBlankZ(c);
  }
  a.multiline = line_breaks;
  if (leading_space || leading_break || trailing_space || trailing_break) {
    a.block_plain_allowed = false;
  }
  if (trailing_space) a.block_allowed = false;
  if (break_space) a.block_plain_allowed = a.single_quoted_allowed = false;
  if (space_break || special) {
    a.block_plain_allowed = a.single_quoted_allowed = a.block_allowed = false;
  }
  if (line_breaks) a.block_plain_allowed = false;
  if (block_indicators) a.block_plain_allowed = false;
  return a;
}

class YamlWriter {
 public:
  std::string out;

  void Document(const JsonNode& n) {
    switch (n.kind) {
      case JsonNode::Kind::kObject:
        if (n.members.empty()) {
          out.append("{}");
        } else {
          Mapping(n, 0, false);
        }
        break;
      case JsonNode::Kind::kArray:
        if (n.items.empty()) {
          out.append("[]");
        } else {
          Sequence(n, 0, false);
        }
        break;
      default:
        Scalar(n, 0);
    }
    if (out.empty() || out.back() != '\n') out.push_back('\n');
  }

 private:
  void BeginLine(int indent) {
    if (!out.empty() && out.back() != '\n') out.push_back('\n');
    line_start_ = out.size();
    out.append(indent, ' ');
  }
  void Indent(int indent) {
    out.push_back('\n');
    line_start_ = out.size();
    out.append(indent, ' ');
  }
  int Column() const {
    int col = 0;
    for (size_t i = line_start_; i < out.size(); ++i) {
      if ((static_cast<unsigned char>(out[i]) & 0xC0) != 0x80) ++col;
    }
    return col;
  }

  void Mapping(const JsonNode& n, int indent, bool inline_first) {
    for (size_t i = 0; i < n.members.size(); ++i) {
      if (i > 0 || !inline_first) BeginLine(indent);
      String(n.members[i].first, indent, /*key=*/true);
      out.push_back(':');
      const JsonNode& v = n.members[i].second;
      if (v.kind == JsonNode::Kind::kObject && !v.members.empty()) {
        Mapping(v, indent + 2, false);
      } else if (v.kind == JsonNode::Kind::kArray && !v.items.empty()) {
        Sequence(v, indent, false);
      } else {
        out.push_back(' ');
        Scalar(v, indent + 2);
      }
    }
  }

  void Sequence(const JsonNode& n, int indent, bool inline_first) {
    for (size_t i = 0; i < n.items.size(); ++i) {
      if (i > 0 || !inline_first) BeginLine(indent);
      out.append("- ");
      const JsonNode& v = n.items[i];
      if (v.kind == JsonNode::Kind::kObject && !v.members.empty()) {
        Mapping(v, indent + 2, true);
      } else if (v.kind == JsonNode::Kind::kArray && !v.items.empty()) {
        Sequence(v, indent + 2, true);
      } else {
        Scalar(v, indent + 2);
      }
    }
  }

  // A scalar (or empty collection) whose continuation lines are indented by `indent`.
  void Scalar(const JsonNode& v, int indent) {
    switch (v.kind) {
      case JsonNode::Kind::kNull:
        out.append("null");
        break;
      case JsonNode::Kind::kBool:
        out.append(v.boolean ? "true" : "false");
        break;
      case JsonNode::Kind::kNumber:
        out.append(Number(v.scalar));
        break;
      case JsonNode::Kind::kString:
        String(v.scalar, indent, false);
        break;
      case JsonNode::Kind::kObject:
        out.append("{}");
        break;
      case JsonNode::Kind::kArray:
        out.append("[]");
        break;
    }
  }

  // JSON numbers are read back by go-yaml: integers stay integers, others are float64s.
  static std::string Number(const std::string& text) {
    if (text.find_first_of(".eE") == std::string::npos) {
      int64_t i;
      uint64_t u;
      if (absl::SimpleAtoi(text, &i)) return absl::StrCat(i);
      if (absl::SimpleAtoi(text, &u)) return absl::StrCat(u);
    }
    double d = 0;
    (void)absl::SimpleAtod(text, &d);
    return FormatGoFloatG(d);
  }

  void String(const std::string& s, int indent, bool key) {
    Analysis a = Analyze(s);
    Resolved r = s.empty() ? Resolved{Resolved::kNull} : ResolvePlain(s);
    enum { kPlain, kSingle, kDouble, kLiteral } style;
    if (a.multiline) {
      style = kLiteral;
    } else if (r.kind != Resolved::kString || IsBase60Float(s)) {
      style = kDouble;
    } else {
      style = kPlain;
    }
    if (style == kPlain && !a.block_plain_allowed) style = kSingle;
    if (style == kSingle && !a.single_quoted_allowed) style = kDouble;
    if (style == kLiteral && (!a.block_allowed || key)) style = kDouble;
    bool breaks = !key;
    switch (style) {
      case kPlain:
        Plain(s, indent, breaks);
        break;
      case kSingle:
        Single(s, indent, breaks);
        break;
      case kDouble:
        Double(s, indent, breaks);
        break;
      case kLiteral:
        Literal(s, indent);
        break;
    }
  }

  static bool Starts(char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }

  void Plain(absl::string_view s, int indent, bool breaks) {
    bool spaces = false;
    int col = Column();
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == ' ') {
        if (breaks && !spaces && col > kBestWidth && i + 1 < s.size() && s[i + 1] != ' ') {
          Indent(indent);
          col = indent;
        } else {
          out.push_back(' ');
          ++col;
        }
        spaces = true;
      } else {
        out.push_back(s[i]);
        col += Starts(s[i]);
        spaces = false;
      }
    }
  }

  void Single(absl::string_view s, int indent, bool breaks) {
    out.push_back('\'');
    bool spaces = false;
    int col = Column();
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == ' ') {
        if (breaks && !spaces && col > kBestWidth && i != 0 && i + 1 != s.size() &&
            s[i + 1] != ' ') {
          Indent(indent);
          col = indent;
        } else {
          out.push_back(' ');
          ++col;
        }
        spaces = true;
      } else {
        if (s[i] == '\'') {
          out.push_back('\'');
          ++col;
        }
        out.push_back(s[i]);
        col += Starts(s[i]);
        spaces = false;
      }
    }
    out.push_back('\'');
  }

  void Double(absl::string_view s, int indent, bool breaks) {
    out.push_back('"');
    bool spaces = false;
    int col = Column();
    size_t counted = out.size();  // out[counted..] not yet added to col
    for (size_t i = 0; i < s.size();) {
      uint32_t c;
      int len = DecodeUtf8(s, i, &c);
      if (!IsPrintable(c) || c == 0xFEFF || IsBreak(c) || c == '"' || c == '\\') {
        out.push_back('\\');
        switch (c) {
          case 0x00:
            out.push_back('0');
            break;
          case 0x07:
            out.push_back('a');
            break;
          case 0x08:
            out.push_back('b');
            break;
          case 0x09:
            out.push_back('t');
            break;
          case 0x0A:
            out.push_back('n');
            break;
          case 0x0B:
            out.push_back('v');
            break;
          case 0x0C:
            out.push_back('f');
            break;
          case 0x0D:
            out.push_back('r');
            break;
          case 0x1B:
            out.push_back('e');
            break;
          case '"':
            out.push_back('"');
            break;
          case '\\':
            out.push_back('\\');
            break;
          case 0x85:
            out.push_back('N');
            break;
          case 0xA0:
            out.push_back('_');
            break;
          case 0x2028:
            out.push_back('L');
            break;
          case 0x2029:
            out.push_back('P');
            break;
          default: {
            char buf[16];
            if (c <= 0xFF) {
              snprintf(buf, sizeof(buf), "x%02X", c);
            } else if (c <= 0xFFFF) {
              snprintf(buf, sizeof(buf), "u%04X", c);
            } else {
              snprintf(buf, sizeof(buf), "U%08X", c);
            }
            out.append(buf);
          }
        }
        spaces = false;
      } else if (c == ' ') {
        for (; counted < out.size(); ++counted) col += Starts(out[counted]);
        if (breaks && !spaces && col > kBestWidth && i != 0 && i + 1 != s.size()) {
          Indent(indent);
          col = indent;
          counted = out.size();
          if (s[i + 1] == ' ') out.push_back('\\');
        } else {
          out.push_back(' ');
        }
        spaces = true;
      } else {
        out.append(s.data() + i, len);
        spaces = false;
      }
      i += len;
    }
    out.push_back('"');
  }

  void Literal(absl::string_view s, int indent) {
    out.push_back('|');
    if (s[0] == ' ' || s[0] == '\n') out.push_back('2');
    if (s.back() != '\n') {
      out.push_back('-');
    } else if (s.size() == 1 || s[s.size() - 2] == '\n') {
      out.push_back('+');
    }
    out.push_back('\n');
    bool at_break = true;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\n') {
        out.push_back('\n');
        at_break = true;
        continue;
      }
      if (at_break) {
        line_start_ = out.size();
        out.append(indent, ' ');
        at_break = false;
      }
      out.push_back(s[i]);
    }
  }

  size_t line_start_ = 0;
};

// yaml-cpp 0.7 never finishes on some malformed streams (a ',' where a document should
// start): HandleNextDocument keeps reporting empty documents at the same position, and
// LoadAll collects them until memory runs out. This pass finds that before LoadAll runs.
class StuckDocumentDetector : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (started_ && mark.pos == last_.pos) stuck_ = true;
    started_ = true;
    last_ = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  bool stuck() const { return stuck_; }
  const YAML::Mark& mark() const { return last_; }

 private:
  bool started_ = false;
  bool stuck_ = false;
  YAML::Mark last_;
};

// Throws what yaml-cpp throws for malformed input; InvalidArgument if it would not finish.
absl::Status CheckParserTerminates(const std::string& yaml) {
  std::istringstream in(yaml);
  YAML::Parser parser(in);
  StuckDocumentDetector d;
  size_t docs = 0;
  while (parser.HandleNextDocument(d)) {
    if (d.stuck() || ++docs > yaml.size() + 1) {
      return absl::InvalidArgumentError(absl::StrCat("yaml: line ", d.mark().line + 1, ", column ",
                                                     d.mark().column + 1,
                                                     ": did not find expected node content"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckSize(absl::string_view in, const YamlOptions& options) {
  if (in.size() > options.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "input of ", in.size(), " bytes exceeds the limit of ", options.max_bytes, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> YamlToJson(absl::string_view yaml,
                                                    const YamlOptions& options) {
  RUDDER_RETURN_IF_ERROR(CheckSize(yaml, options));
  std::vector<std::string> docs;
  try {
    std::string text(yaml);
    RUDDER_RETURN_IF_ERROR(CheckParserTerminates(text));
    std::vector<YAML::Node> nodes = YAML::LoadAll(text);
    YamlConverter converter(options);
    for (const YAML::Node& n : nodes) {
      if (n.Type() == YAML::NodeType::Null || n.Type() == YAML::NodeType::Undefined) continue;
      std::string json;
      RUDDER_RETURN_IF_ERROR(converter.Convert(n, 0, &json));
      docs.push_back(std::move(json));
    }
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return absl::InvalidArgumentError(absl::StrCat("yaml: ", e.msg));
    return absl::InvalidArgumentError(
        absl::StrCat("yaml: line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("yaml: ", e.what()));
  }
  return docs;
}

absl::StatusOr<std::string> YamlDocumentToJson(absl::string_view yaml, const YamlOptions& options) {
  RUDDER_ASSIGN_OR_RETURN(std::vector<std::string> docs, YamlToJson(yaml, options));
  if (docs.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected one YAML document, found ", docs.size()));
  }
  return std::move(docs[0]);
}

absl::StatusOr<std::string> JsonToYaml(absl::string_view json, const YamlOptions& options) {
  RUDDER_RETURN_IF_ERROR(CheckSize(json, options));
  RUDDER_ASSIGN_OR_RETURN(JsonNode root, codec_internal::ParseJsonNode(json, options.max_depth));
  YamlWriter w;
  w.Document(root);
  return std::move(w.out);
}

}  // namespace rudder::api
