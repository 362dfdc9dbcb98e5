#include "lib/api/codec/internal/json_text.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "rapidjson/error/en.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"

namespace rudder::api::codec_internal {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence starting at s[i] (2..4), or 0 if invalid (Go's rules:
// no overlong forms, no surrogates, nothing above U+10FFFF).
int Utf8SequenceLength(const unsigned char* s, size_t n) {
  unsigned char c = s[0];
  auto cont = [&](size_t k) { return k < n && (s[k] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (n < 3 || !cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && s[1] < 0xA0) return 0;
    if (c == 0xED && s[1] > 0x9F) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (n < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && s[1] < 0x90) return 0;
    if (c == 0xF4 && s[1] > 0x8F) return 0;
    return 4;
  }
  return 0;
}

// True for ASCII bytes Go writes unescaped with HTML escaping on.
struct SafeTable {
  bool safe[128];
  constexpr SafeTable() : safe() {
    for (int i = 0x20; i < 128; ++i) safe[i] = true;
    safe[static_cast<int>('"')] = false;
    safe[static_cast<int>('\\')] = false;
    safe[static_cast<int>('<')] = false;
    safe[static_cast<int>('>')] = false;
    safe[static_cast<int>('&')] = false;
  }
};
constexpr SafeTable kSafe;

void AppendGoFloatText(std::string* out, const char* begin, const char* end, bool exp) {
  size_t start = out->size();
  out->append(begin, end);
  if (!exp) return;
  // Go writes exponents with at least two digits but strips one leading zero: e-07 -> e-7.
  std::string& b = *out;
  size_t n = b.size();
  if (n - start >= 4 && b[n - 4] == 'e' && b[n - 3] == '-' && b[n - 2] == '0') {
    b[n - 2] = b[n - 1];
    b.resize(n - 1);
  }
}

template <typename F>
absl::Status AppendGoFloat(F v, std::string* out) {
  if (!std::isfinite(v)) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported float value: ", v));
  }
  F a = std::fabs(v);
  bool exp = a != 0 && (a < F(1e-6) || a >= F(1e21));
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v,
                         exp ? std::chars_format::scientific : std::chars_format::fixed);
  AppendGoFloatText(out, buf, r.ptr, exp);
  return absl::OkStatus();
}

// Index just past the JSON string starting at json[i] == '"'.
size_t StringEnd(absl::string_view json, size_t i) {
  ++i;
  while (i < json.size()) {
    char c = json[i];
    if (c == '\\') {
      i += 2;
    } else if (c == '"') {
      return i + 1;
    } else {
      ++i;
    }
  }
  return json.size();
}

void AppendStringToken(absl::string_view tok, bool escape_html, std::string* out) {
  if (!escape_html) {
    out->append(tok.data(), tok.size());
    return;
  }
  size_t flushed = 0;
  for (size_t i = 0; i < tok.size(); ++i) {
    unsigned char c = tok[i];
    const char* rep = nullptr;
    size_t skip = 1;
    if (c == '<') {
      rep = "\\u003c";
    } else if (c == '>') {
      rep = "\\u003e";
    } else if (c == '&') {
      rep = "\\u0026";
    } else if (c == 0xE2 && i + 2 < tok.size() && static_cast<unsigned char>(tok[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(tok[i + 2]) == 0xA8 ||
                static_cast<unsigned char>(tok[i + 2]) == 0xA9)) {
      rep = static_cast<unsigned char>(tok[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
      skip = 3;
    } else if (c == '\\') {
      ++i;  // Keep escape sequences as written.
      continue;
    }
    if (rep == nullptr) continue;
    out->append(tok.data() + flushed, i - flushed);
    out->append(rep);
    i += skip - 1;
    flushed = i + 1;
  }
  out->append(tok.data() + flushed, tok.size() - flushed);
}

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

void AppendJsonString(absl::string_view s, std::string* out) {
  out->push_back('"');
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  size_t start = 0;
  size_t i = 0;
  while (i < n) {
    unsigned char b = p[i];
    if (b < 0x80) {
      if (kSafe.safe[b]) {
        ++i;
        continue;
      }
      out->append(s.data() + start, i - start);
      switch (b) {
        case '\\':
        case '"':
          out->push_back('\\');
          out->push_back(static_cast<char>(b));
          break;
        case '\b':
          out->append("\\b");
          break;
        case '\f':
          out->append("\\f");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        default:
          out->append("\\u00");
          out->push_back(kHex[b >> 4]);
          out->push_back(kHex[b & 0xF]);
      }
      ++i;
      start = i;
      continue;
    }
    int len = Utf8SequenceLength(p + i, n - i);
    if (len == 0) {
      out->append(s.data() + start, i - start);
      out->append("\\ufffd");
      ++i;
      start = i;
      continue;
    }
    if (len == 3 && b == 0xE2 && p[i + 1] == 0x80 && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9)) {
      out->append(s.data() + start, i - start);
      out->append(p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
      i += 3;
      start = i;
      continue;
    }
    i += len;
  }
  out->append(s.data() + start, n - start);
  out->push_back('"');
}

absl::Status AppendGoFloat64(double v, std::string* out) { return AppendGoFloat(v, out); }
absl::Status AppendGoFloat32(float v, std::string* out) { return AppendGoFloat(v, out); }

absl::Status CheckJsonBytes(absl::string_view json) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(json.data());
  size_t n = json.size();
  size_t i = 0;
  while (i < n) {
    // ASCII fast path, eight bytes at a time.
    if (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      // No byte >= 0x80 and no zero byte.
      if ((w & 0x8080808080808080ULL) == 0 &&
          ((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    if (p[i] == 0) {
      return absl::InvalidArgumentError(absl::StrCat("invalid JSON: NUL byte at offset ", i));
    }
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    int len = Utf8SequenceLength(p + i, n - i);
    if (len == 0) {
      return absl::InvalidArgumentError(absl::StrCat("invalid JSON: invalid UTF-8 at offset ", i));
    }
    i += len;
  }
  return absl::OkStatus();
}

absl::Status ValidateJson(absl::string_view json) {
  absl::Status bytes = CheckJsonBytes(json);
  if (!bytes.ok()) return bytes;
  std::string buf(json);
  rapidjson::StringStream ss(buf.c_str());
  rapidjson::BaseReaderHandler<> handler;
  rapidjson::Reader reader;
  rapidjson::ParseResult r =
      reader.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag>(ss,
                                                                                           handler);
  if (r.IsError()) {
    return absl::InvalidArgumentError(DescribeJsonParseError(json, r.Code(), r.Offset()));
  }
  return absl::OkStatus();
}

void AppendCompactJson(absl::string_view json, bool escape_html, std::string* out) {
  size_t i = 0;
  while (i < json.size()) {
    char c = json[i];
    if (c == '"') {
      size_t end = StringEnd(json, i);
      AppendStringToken(json.substr(i, end - i), escape_html, out);
      i = end;
    } else if (IsJsonSpace(c)) {
      ++i;
    } else {
      size_t j = i + 1;
      while (j < json.size() && json[j] != '"' && !IsJsonSpace(json[j])) ++j;
      out->append(json.data() + i, j - i);
      i = j;
    }
  }
}

void AppendIndentedJson(absl::string_view json, absl::string_view indent, std::string* out) {
  int depth = 0;
  bool need_indent = false;
  auto newline = [&](int d) {
    out->push_back('\n');
    for (int k = 0; k < d; ++k) out->append(indent.data(), indent.size());
  };
  size_t i = 0;
  while (i < json.size()) {
    char c = json[i];
    if (IsJsonSpace(c)) {
      ++i;
      continue;
    }
    if (need_indent && c != ']' && c != '}') {
      need_indent = false;
      ++depth;
      newline(depth);
    }
    if (c == '"') {
      size_t end = StringEnd(json, i);
      out->append(json.data() + i, end - i);
      i = end;
      continue;
    }
    switch (c) {
      case '{':
      case '[':
        out->push_back(c);
        need_indent = true;
        break;
      case ',':
        out->push_back(',');
        newline(depth);
        break;
      case ':':
        out->append(": ");
        break;
      case '}':
      case ']':
        if (need_indent) {
          need_indent = false;  // Empty: "{}" or "[]".
        } else {
          --depth;
          newline(depth);
        }
        out->push_back(c);
        break;
      default:
        out->push_back(c);
    }
    ++i;
  }
}

std::string DescribeJsonParseError(absl::string_view json, int code, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t k = 0; k < offset && k < json.size(); ++k) {
    if (json[k] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return absl::StrCat("invalid JSON at line ", line, ", column ", col, " (offset ", offset, "): ",
                      rapidjson::GetParseError_En(static_cast<rapidjson::ParseErrorCode>(code)));
}

}  // namespace rudder::api::codec_internal
