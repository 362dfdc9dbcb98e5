#include "lib/api/labels/internal/go_format.h"

#include <algorithm>
#include <cstdio>

namespace rudder::api_internal {
namespace {

void AppendHex(uint32_t v, int digits, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out->push_back(kHex[(v >> (4 * i)) & 0xF]);
}

}  // namespace

int DecodeRune(std::string_view s, char32_t* rune) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) {
    *rune = b0;
    return 1;
  }
  auto cont = [&](size_t i) {
    return i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80;
  };
  auto at = [&](size_t i) { return static_cast<unsigned char>(s[i]) & 0x3F; };
  *rune = 0xFFFD;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (!cont(1)) return 1;
    *rune = ((b0 & 0x1F) << 6) | at(1);
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 1;
    const auto b1 = static_cast<unsigned char>(s[1]);
    if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F)) return 1;
    *rune = ((b0 & 0x0F) << 12) | (at(1) << 6) | at(2);
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 1;
    const auto b1 = static_cast<unsigned char>(s[1]);
    if ((b0 == 0xF0 && b1 < 0x90) || (b0 == 0xF4 && b1 > 0x8F)) return 1;
    *rune = ((b0 & 0x07) << 18) | (at(1) << 12) | (at(2) << 6) | at(3);
    return 4;
  }
  return 1;
}

void AppendRune(char32_t r, std::string* out) {
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    char32_t r;
    int w = DecodeRune(s.substr(i), &r);
    if (r == 0xFFFD && w == 1) {
      out += "\\x";
      AppendHex(static_cast<unsigned char>(s[i]), 2, &out);
      i += w;
      continue;
    }
    i += w;
    switch (r) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\a':
        out += "\\a";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\v':
        out += "\\v";
        continue;
      default:
        break;
    }
    if (r < 0x20 || r == 0x7F) {
      out += "\\x";
      AppendHex(r, 2, &out);
    } else if ((r >= 0x80 && r <= 0xA0) || r == 0xAD) {
      out += "\\u";
      AppendHex(r, 4, &out);
    } else {
      AppendRune(r, &out);
    }
  }
  out += "\"";
  return out;
}

std::string GoJsonStrings(const std::vector<std::string>& values, bool nil) {
  if (nil) return "null";
  std::string out = "[";
  for (size_t n = 0; n < values.size(); ++n) {
    if (n > 0) out += ",";
    out += "\"";
    std::string_view s = values[n];
    size_t i = 0;
    while (i < s.size()) {
      char32_t r;
      int w = DecodeRune(s.substr(i), &r);
      i += w;
      switch (r) {
        case '"':
          out += "\\\"";
          continue;
        case '\\':
          out += "\\\\";
          continue;
        case '\n':
          out += "\\n";
          continue;
        case '\r':
          out += "\\r";
          continue;
        case '\t':
          out += "\\t";
          continue;
        case '\b':
          out += "\\b";
          continue;
        case '\f':
          out += "\\f";
          continue;
        default:
          break;
      }
      if (r < 0x20 || r == '<' || r == '>' || r == '&' || r == 0x2028 || r == 0x2029 ||
          (r == 0xFFFD && w == 1)) {
        out += "\\u";
        AppendHex(r, 4, &out);
      } else {
        AppendRune(r, &out);
      }
    }
    out += "\"";
  }
  out += "]";
  return out;
}

std::string PathChild(std::string_view parent, std::string_view name) {
  if (parent.empty()) return std::string(name);
  std::string out(parent);
  out += ".";
  out.append(name);
  return out;
}

std::string PathIndex(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

std::string PathKey(std::string_view parent, std::string_view key) {
  std::string out(parent);
  out += "[";
  out.append(key);
  out += "]";
  return out;
}

std::string PathString(std::string_view path) { return path.empty() ? "<nil>" : std::string(path); }

std::string FieldInvalid(std::string_view field, std::string_view rendered_value,
                         std::string_view detail) {
  std::string out(field);
  out += ": Invalid value: ";
  out.append(rendered_value);
  if (!detail.empty()) {
    out += ": ";
    out.append(detail);
  }
  return out;
}

std::string Aggregate(const std::vector<std::string>& messages) {
  if (messages.empty()) return "";
  if (messages.size() == 1) return messages[0];
  std::vector<const std::string*> seen;
  std::string result;
  for (const std::string& m : messages) {
    if (std::any_of(seen.begin(), seen.end(), [&](const std::string* s) { return *s == m; })) {
      continue;
    }
    if (!seen.empty()) result += ", ";
    seen.push_back(&m);
    result += m;
  }
  if (seen.size() == 1) return result;
  return "[" + result + "]";
}

}  // namespace rudder::api_internal
