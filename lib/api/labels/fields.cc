#include "lib/api/labels/fields.h"

#include <algorithm>

#include "lib/api/labels/internal/go_format.h"

namespace rudder::api::fields {
namespace {

using api_internal::AppendRune;
using api_internal::DecodeRune;

// Splits on ',' not preceded by an escaping '\'; escapes stay in the terms.
std::vector<std::string_view> SplitTerms(std::string_view s) {
  std::vector<std::string_view> terms;
  if (s.empty()) return terms;
  size_t start = 0;
  bool in_slash = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (in_slash) {
      in_slash = false;
    } else if (s[i] == '\\') {
      in_slash = true;
    } else if (s[i] == ',') {
      terms.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.push_back(s.substr(start));
  return terms;
}

// The first operator in the term; "!=" and "==" win over "=" at the same position.
bool SplitTerm(std::string_view term, std::string_view* lhs, std::string_view* op,
               std::string_view* rhs) {
  static constexpr std::string_view kOps[] = {"!=", "==", "="};
  for (size_t i = 0; i < term.size(); ++i) {
    for (std::string_view o : kOps) {
      if (term.substr(i, o.size()) == o) {
        *lhs = term.substr(0, i);
        *op = o;
        *rhs = term.substr(i + o.size());
        return true;
      }
    }
  }
  return false;
}

}  // namespace

std::string EscapeValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == ',' || c == '=') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

absl::StatusOr<std::string> UnescapeValue(std::string_view s) {
  if (s.find_first_of("\\,=") == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size());
  bool in_slash = false;
  size_t i = 0;
  while (i < s.size()) {
    char32_t c;
    int w = DecodeRune(s.substr(i), &c);
    i += w;
    if (in_slash) {
      if (c == '\\' || c == ',' || c == '=') {
        AppendRune(c, &out);
      } else {
        std::string seq = "\\";
        AppendRune(c, &seq);
        return absl::InvalidArgumentError("invalid field selector: invalid escape sequence: " +
                                          seq);
      }
      in_slash = false;
      continue;
    }
    if (c == '\\') {
      in_slash = true;
    } else if (c == ',' || c == '=') {
      return absl::InvalidArgumentError("invalid field selector: unescaped character in value: " +
                                        std::to_string(static_cast<uint32_t>(c)));
    } else {
      AppendRune(c, &out);
    }
  }
  if (in_slash) {
    return absl::InvalidArgumentError("invalid field selector: invalid escape sequence: \\");
  }
  return out;
}

absl::StatusOr<Selector> Selector::Parse(std::string_view text) {
  std::vector<std::string_view> parts = SplitTerms(text);
  std::sort(parts.begin(), parts.end());
  Selector s;
  s.requirements_.reserve(parts.size());
  for (std::string_view part : parts) {
    if (part.empty()) continue;
    std::string_view lhs, op, rhs;
    if (!SplitTerm(part, &lhs, &op, &rhs)) {
      return absl::InvalidArgumentError("invalid selector: '" + std::string(text) +
                                        "'; can't understand '" + std::string(part) + "'");
    }
    absl::StatusOr<std::string> value = UnescapeValue(rhs);
    if (!value.ok()) return value.status();
    s.requirements_.push_back(Requirement{std::string(lhs),
                                          op == "!=" ? Operator::kNotEquals : Operator::kEquals,
                                          *std::move(value)});
  }
  return s;
}

Selector Selector::OneTermEqual(std::string field, std::string value) {
  Selector s;
  s.requirements_.push_back(Requirement{std::move(field), Operator::kEquals, std::move(value)});
  return s;
}

Selector Selector::FromSet(const std::map<std::string, std::string>& fields) {
  Selector s;
  for (const auto& [k, v] : fields) s.requirements_.push_back({k, Operator::kEquals, v});
  return s;
}

bool Selector::Matches(FieldGetter get) const {
  for (const Requirement& r : requirements_) {
    if ((get(r.field) == r.value) != (r.op == Operator::kEquals)) return false;
  }
  return true;
}

std::optional<std::string_view> Selector::RequiresExactMatch(std::string_view field) const {
  for (const Requirement& r : requirements_) {
    if (r.field == field && r.op == Operator::kEquals) return std::string_view(r.value);
  }
  return std::nullopt;
}

absl::StatusOr<Selector> Selector::Transform(TransformFunc fn) const {
  Selector s;
  s.requirements_.reserve(requirements_.size());
  for (const Requirement& r : requirements_) {
    absl::StatusOr<std::pair<std::string, std::string>> t = fn(r.field, r.value);
    if (!t.ok()) return t.status();
    s.requirements_.push_back(Requirement{std::move(t->first), r.op, std::move(t->second)});
  }
  return s;
}

std::string Selector::String() const {
  std::string out;
  for (size_t i = 0; i < requirements_.size(); ++i) {
    const Requirement& r = requirements_[i];
    if (i > 0) out.push_back(',');
    out.append(r.field);
    out.append(r.op == Operator::kEquals ? "=" : "!=");
    out.append(EscapeValue(r.value));
  }
  return out;
}

absl::Status CheckSupportedFields(const Selector& selector,
                                  absl::FunctionRef<bool(std::string_view field)> supported) {
  for (const Requirement& r : selector.Requirements()) {
    if (!supported(r.field)) {
      return absl::InvalidArgumentError("field label not supported: " + r.field);
    }
  }
  return absl::OkStatus();
}

}  // namespace rudder::api::fields
