#include "lib/api/labels/selector.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "lib/api/labels/internal/go_format.h"
#include "lib/api/labels/internal/int_parse.h"
#include "lib/api/validation/names.h"

namespace rudder::api {

std::string_view OperatorName(Operator op) {
  switch (op) {
    case Operator::kDoesNotExist:
      return "!";
    case Operator::kEquals:
      return "=";
    case Operator::kDoubleEquals:
      return "==";
    case Operator::kIn:
      return "in";
    case Operator::kNotEquals:
      return "!=";
    case Operator::kNotIn:
      return "notin";
    case Operator::kExists:
      return "exists";
    case Operator::kGreaterThan:
      return "gt";
    case Operator::kLessThan:
      return "lt";
  }
  return "";
}

namespace labels {
namespace {

using api_internal::Aggregate;
using api_internal::FieldInvalid;
using api_internal::GoJsonStrings;
using api_internal::GoQuote;
using api_internal::ParseGoInt64;
using api_internal::PathChild;
using api_internal::PathIndex;
using api_internal::PathKey;
using api_internal::PathString;

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.append(sep);
    out.append(parts[i]);
  }
  return out;
}

// validateLabelKey: nullopt when valid, else the field error text.
std::optional<std::string> ValidateLabelKey(std::string_view key, std::string_view field) {
  std::vector<std::string> errs = validation::IsQualifiedName(key);
  if (errs.empty()) return std::nullopt;
  return FieldInvalid(field, GoQuote(key), Join(errs, "; "));
}

void SortByKey(std::vector<Requirement>* reqs) {
  std::stable_sort(reqs->begin(), reqs->end(),
                   [](const Requirement& a, const Requirement& b) { return a.key() < b.key(); });
}

// ---- The lexer and parser, a faithful port of Kubernetes' ----

enum class Token {
  kError,
  kEndOfString,
  kClosedPar,
  kComma,
  kDoesNotExist,
  kDoubleEquals,
  kEquals,
  kGreaterThan,
  kIdentifier,
  kIn,
  kLessThan,
  kNotEquals,
  kNotIn,
  kOpenPar,
};

struct Item {
  Token tok;
  std::string_view lit;  // for kError: the unrecognised symbols
};

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsSpecialSymbol(char c) {
  switch (c) {
    case '=':
    case '!':
    case '(':
    case ')':
    case ',':
    case '>':
    case '<':
      return true;
    default:
      return false;
  }
}

bool LookupToken(std::string_view s, Token* tok) {
  switch (s.size()) {
    case 1:
      switch (s[0]) {
        case ')':
          *tok = Token::kClosedPar;
          return true;
        case ',':
          *tok = Token::kComma;
          return true;
        case '!':
          *tok = Token::kDoesNotExist;
          return true;
        case '=':
          *tok = Token::kEquals;
          return true;
        case '>':
          *tok = Token::kGreaterThan;
          return true;
        case '<':
          *tok = Token::kLessThan;
          return true;
        case '(':
          *tok = Token::kOpenPar;
          return true;
        default:
          return false;
      }
    case 2:
      if (s == "==")
        *tok = Token::kDoubleEquals;
      else if (s == "in")
        *tok = Token::kIn;
      else if (s == "!=")
        *tok = Token::kNotEquals;
      else
        return false;
      return true;
    case 5:
      if (s != "notin") return false;
      *tok = Token::kNotIn;
      return true;
    default:
      return false;
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Item Lex() {
    char ch = SkipWhiteSpaces(Read());
    if (ch == 0) return {Token::kEndOfString, ""};
    Unread();
    if (IsSpecialSymbol(ch)) return ScanSpecialSymbol();
    return ScanIdOrKeyword();
  }

 private:
  // Returns 0 at the end of the input (and for an embedded NUL, like Kubernetes).
  char Read() {
    if (pos_ < s_.size()) return s_[pos_++];
    return 0;
  }
  void Unread() { --pos_; }

  char SkipWhiteSpaces(char ch) {
    while (IsWhitespace(ch)) ch = Read();
    return ch;
  }

  Item ScanIdOrKeyword() {
    size_t start = pos_;
    size_t end;
    while (true) {
      size_t before = pos_;
      char ch = Read();
      if (ch == 0) {
        end = before;
        break;
      }
      if (IsSpecialSymbol(ch) || IsWhitespace(ch)) {
        Unread();
        end = before;
        break;
      }
    }
    std::string_view lit = s_.substr(start, end - start);
    Token tok;
    if (LookupToken(lit, &tok)) return {tok, lit};
    return {Token::kIdentifier, lit};
  }

  Item ScanSpecialSymbol() {
    size_t start = pos_;
    size_t end = pos_;
    bool found = false;
    Item last{Token::kError, ""};
    while (true) {
      char ch = Read();
      if (ch == 0) break;
      if (!IsSpecialSymbol(ch)) {
        Unread();
        break;
      }
      end = pos_;
      std::string_view buffer = s_.substr(start, end - start);
      Token tok;
      if (LookupToken(buffer, &tok)) {
        last = {tok, buffer};
        found = true;
      } else if (found) {
        Unread();
        break;
      }
    }
    if (!found) return {Token::kError, s_.substr(start, end - start)};
    return last;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

enum class Context { kKeyAndOperator, kValues };

// The values of one requirement: a small sorted set without per-value allocations.
class ValueSet {
 public:
  void insert(std::string_view v) {
    auto it = std::lower_bound(values_.begin(), values_.end(), v);
    if (it == values_.end() || *it != v) values_.insert(it, v);
  }
  bool empty() const { return values_.empty(); }
  std::vector<std::string> ToStrings() const {
    return std::vector<std::string>(values_.begin(), values_.end());
  }

 private:
  std::vector<std::string_view> values_;
};

class Parser {
 public:
  explicit Parser(std::string_view s) {
    items_.reserve(16);
    Lexer lexer(s);
    while (true) {
      Item item = lexer.Lex();
      items_.push_back(item);
      if (item.tok == Token::kEndOfString) break;
    }
  }

  absl::StatusOr<std::vector<Requirement>> Parse() {
    std::vector<Requirement> requirements;
    requirements.reserve(items_.size() / 3 + 1);
    while (true) {
      Item item = Lookahead(Context::kValues);
      switch (item.tok) {
        case Token::kIdentifier:
        case Token::kDoesNotExist: {
          absl::StatusOr<Requirement> r = ParseRequirement();
          if (!r.ok()) {
            return absl::InvalidArgumentError("unable to parse requirement: " +
                                              std::string(r.status().message()));
          }
          requirements.push_back(*std::move(r));
          Item next = Consume(Context::kValues);
          switch (next.tok) {
            case Token::kEndOfString:
              return requirements;
            case Token::kComma: {
              Item after = Lookahead(Context::kValues);
              if (after.tok != Token::kIdentifier && after.tok != Token::kDoesNotExist) {
                return Error("found '", Literal(after), "', expected: identifier after ','");
              }
              break;
            }
            default:
              return Error("found '", Literal(next), "', expected: ',' or 'end of string'");
          }
          break;
        }
        case Token::kEndOfString:
          return requirements;
        default:
          return Error("found '", Literal(item), "', expected: !, identifier, or 'end of string'");
      }
    }
  }

 private:
  static absl::Status Error(std::string_view a, std::string_view b, std::string_view c) {
    std::string msg(a);
    msg.append(b).append(c);
    return absl::InvalidArgumentError(msg);
  }

  static std::string Literal(const Item& item) {
    if (item.tok == Token::kError) {
      return "error expected: keyword found '" + std::string(item.lit) + "'";
    }
    return std::string(item.lit);
  }

  static Item InContext(Item item, Context context) {
    if (context == Context::kValues && (item.tok == Token::kIn || item.tok == Token::kNotIn)) {
      item.tok = Token::kIdentifier;
    }
    return item;
  }

  Item Lookahead(Context context) const {
    if (position_ >= items_.size()) return {Token::kEndOfString, ""};
    return InContext(items_[position_], context);
  }

  Item Consume(Context context) {
    if (position_ >= items_.size()) return {Token::kEndOfString, ""};
    return InContext(items_[position_++], context);
  }

  absl::StatusOr<Requirement> ParseRequirement() {
    std::string_view key;
    std::optional<Operator> op;
    // parseKeyAndInferOperator
    Item item = Consume(Context::kValues);
    if (item.tok == Token::kDoesNotExist) {
      op = Operator::kDoesNotExist;
      item = Consume(Context::kValues);
    }
    if (item.tok != Token::kIdentifier) {
      return Error("found '", Literal(item), "', expected: identifier");
    }
    key = item.lit;
    if (std::optional<std::string> err = ValidateLabelKey(key, PathString(""))) {
      return absl::InvalidArgumentError(*err);
    }
    Token next = Lookahead(Context::kValues).tok;
    if ((next == Token::kEndOfString || next == Token::kComma) && !op.has_value()) {
      op = Operator::kExists;
    }
    if (op.has_value()) return Requirement::Create(std::string(key), *op, {});
    // parseOperator
    Item op_item = Consume(Context::kKeyAndOperator);
    switch (op_item.tok) {
      case Token::kIn:
        op = Operator::kIn;
        break;
      case Token::kEquals:
        op = Operator::kEquals;
        break;
      case Token::kDoubleEquals:
        op = Operator::kDoubleEquals;
        break;
      case Token::kGreaterThan:
        op = Operator::kGreaterThan;
        break;
      case Token::kLessThan:
        op = Operator::kLessThan;
        break;
      case Token::kNotIn:
        op = Operator::kNotIn;
        break;
      case Token::kNotEquals:
        op = Operator::kNotEquals;
        break;
      default:
        return Error("found '", Literal(op_item), "', expected: in, notin, =, ==, !=, gt, lt");
    }
    ValueSet values;
    absl::Status st = (*op == Operator::kIn || *op == Operator::kNotIn) ? ParseValues(&values)
                                                                        : ParseExactValue(&values);
    if (!st.ok()) return st;
    return Requirement::Create(std::string(key), *op, values.ToStrings());
  }

  absl::Status ParseValues(ValueSet* values) {
    Item item = Consume(Context::kValues);
    if (item.tok != Token::kOpenPar) {
      return Error("found '", Literal(item), "' expected: '('");
    }
    item = Lookahead(Context::kValues);
    switch (item.tok) {
      case Token::kIdentifier:
      case Token::kComma: {
        absl::Status st = ParseIdentifiersList(values);
        if (!st.ok()) return st;
        if (Consume(Context::kValues).tok != Token::kClosedPar) {
          return Error("found '", Literal(item), "', expected: ')'");
        }
        return absl::OkStatus();
      }
      case Token::kClosedPar:
        Consume(Context::kValues);
        values->insert("");
        return absl::OkStatus();
      default:
        return Error("found '", Literal(item), "', expected: ',', ')' or identifier");
    }
  }

  absl::Status ParseIdentifiersList(ValueSet* values) {
    while (true) {
      Item item = Consume(Context::kValues);
      switch (item.tok) {
        case Token::kIdentifier: {
          values->insert(item.lit);
          Item next = Lookahead(Context::kValues);
          switch (next.tok) {
            case Token::kComma:
              continue;
            case Token::kClosedPar:
              return absl::OkStatus();
            default:
              return Error("found '", Literal(next), "', expected: ',' or ')'");
          }
        }
        case Token::kComma: {
          if (values->empty()) values->insert("");  // "(,"
          Token next = Lookahead(Context::kValues).tok;
          if (next == Token::kClosedPar) {
            values->insert("");  // ",)"
            return absl::OkStatus();
          }
          if (next == Token::kComma) {
            Consume(Context::kValues);
            values->insert("");  // ",,"
          }
          break;
        }
        default:
          return Error("found '", Literal(item), "', expected: ',', or identifier");
      }
    }
  }

  absl::Status ParseExactValue(ValueSet* values) {
    Token next = Lookahead(Context::kValues).tok;
    if (next == Token::kEndOfString || next == Token::kComma) {
      values->insert("");
      return absl::OkStatus();
    }
    Item item = Consume(Context::kValues);
    if (item.tok == Token::kIdentifier) {
      values->insert(item.lit);
      return absl::OkStatus();
    }
    return Error("found '", Literal(item), "', expected: identifier");
  }

  std::vector<Item> items_;
  size_t position_ = 0;
};

}  // namespace

// ---- Requirement ----

absl::StatusOr<Requirement> Requirement::Make(std::string key, Operator op,
                                              std::vector<std::string> values,
                                              std::string_view path, bool values_nil) {
  std::vector<std::string> errs;
  if (std::optional<std::string> err = ValidateLabelKey(key, PathChild(path, "key"))) {
    errs.push_back(*std::move(err));
  }
  const std::string value_path = PathChild(path, "values");
  int64_t bound = 0;
  switch (op) {
    case Operator::kIn:
    case Operator::kNotIn:
      if (values.empty()) {
        errs.push_back(FieldInvalid(value_path, GoJsonStrings(values, values_nil),
                                    "for 'in', 'notin' operators, values set can't be empty"));
      }
      break;
    case Operator::kEquals:
    case Operator::kDoubleEquals:
    case Operator::kNotEquals:
      if (values.size() != 1) {
        errs.push_back(FieldInvalid(value_path, GoJsonStrings(values, values_nil),
                                    "exact-match compatibility requires one single value"));
      }
      break;
    case Operator::kExists:
    case Operator::kDoesNotExist:
      if (!values.empty()) {
        errs.push_back(FieldInvalid(value_path, GoJsonStrings(values, values_nil),
                                    "values set must be empty for exists and does not exist"));
      }
      break;
    case Operator::kGreaterThan:
    case Operator::kLessThan:
      if (values.size() != 1) {
        errs.push_back(FieldInvalid(value_path, GoJsonStrings(values, values_nil),
                                    "for 'Gt', 'Lt' operators, exactly one value is required"));
      }
      for (size_t i = 0; i < values.size(); ++i) {
        if (!ParseGoInt64(values[i], &bound)) {
          errs.push_back(FieldInvalid(PathIndex(value_path, i), GoQuote(values[i]),
                                      "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      }
      break;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    std::vector<std::string> verrs = validation::IsValidLabelValue(values[i]);
    if (!verrs.empty()) {
      errs.push_back(FieldInvalid(PathKey(PathIndex(value_path, i), key), GoQuote(values[i]),
                                  Join(verrs, "; ")));
    }
  }
  if (!errs.empty()) return absl::InvalidArgumentError(Aggregate(errs));
  std::stable_sort(values.begin(), values.end());
  Requirement r;
  r.key_ = std::move(key);
  r.op_ = op;
  r.values_ = std::move(values);
  r.bound_ = bound;
  return r;
}

absl::StatusOr<Requirement> Requirement::Create(std::string key, Operator op,
                                                std::vector<std::string> values,
                                                std::string_view path) {
  return Make(std::move(key), op, std::move(values), path, false);
}

bool Requirement::HasValue(std::string_view v) const {
  if (values_.size() <= 4) {
    for (const std::string& s : values_) {
      if (s == v) return true;
    }
    return false;
  }
  auto it = std::lower_bound(values_.begin(), values_.end(), v,
                             [](const std::string& a, std::string_view b) { return a < b; });
  return it != values_.end() && *it == v;
}

bool Requirement::Matches(const std::string_view* value) const {
  switch (op_) {
    case Operator::kIn:
    case Operator::kEquals:
    case Operator::kDoubleEquals:
      return value != nullptr && HasValue(*value);
    case Operator::kNotIn:
    case Operator::kNotEquals:
      return value == nullptr || !HasValue(*value);
    case Operator::kExists:
      return value != nullptr;
    case Operator::kDoesNotExist:
      return value == nullptr;
    case Operator::kGreaterThan:
    case Operator::kLessThan: {
      if (value == nullptr || values_.size() != 1) return false;
      int64_t v;
      if (!ParseGoInt64(*value, &v)) return false;
      return op_ == Operator::kGreaterThan ? v > bound_ : v < bound_;
    }
  }
  return false;
}

void Requirement::AppendString(std::string* out) const {
  if (op_ == Operator::kDoesNotExist) out->push_back('!');
  out->append(key_);
  switch (op_) {
    case Operator::kEquals:
      out->append("=");
      break;
    case Operator::kDoubleEquals:
      out->append("==");
      break;
    case Operator::kNotEquals:
      out->append("!=");
      break;
    case Operator::kIn:
      out->append(" in ");
      break;
    case Operator::kNotIn:
      out->append(" notin ");
      break;
    case Operator::kGreaterThan:
      out->append(">");
      break;
    case Operator::kLessThan:
      out->append("<");
      break;
    case Operator::kExists:
    case Operator::kDoesNotExist:
      return;
  }
  const bool set = op_ == Operator::kIn || op_ == Operator::kNotIn;
  if (set) out->push_back('(');
  for (size_t i = 0; i < values_.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->append(values_[i]);
  }
  if (set) out->push_back(')');
}

std::string Requirement::String() const {
  std::string out;
  AppendString(&out);
  return out;
}

// ---- Selector ----

Selector Selector::Nothing() {
  Selector s;
  s.nothing_ = true;
  return s;
}

absl::StatusOr<Selector> Selector::Parse(std::string_view text) {
  Parser parser(text);
  absl::StatusOr<std::vector<Requirement>> reqs = parser.Parse();
  if (!reqs.ok()) return reqs.status();
  Selector s;
  s.requirements_ = *std::move(reqs);
  SortByKey(&s.requirements_);
  return s;
}

Selector Selector::FromRequirements(std::vector<Requirement> requirements) {
  Selector s;
  s.requirements_ = std::move(requirements);
  SortByKey(&s.requirements_);
  return s;
}

Selector Selector::FromSet(const std::map<std::string, std::string>& labels) {
  Selector s;
  s.requirements_.reserve(labels.size());
  for (const auto& [k, v] : labels) {
    Requirement r;
    r.key_ = k;
    r.op_ = Operator::kEquals;
    r.values_ = {v};
    s.requirements_.push_back(std::move(r));
  }
  return s;
}

absl::StatusOr<Selector> Selector::ValidatedFromSet(
    const std::map<std::string, std::string>& labels) {
  Selector s;
  for (const auto& [k, v] : labels) {
    absl::StatusOr<Requirement> r = Requirement::Create(k, Operator::kEquals, {v});
    if (!r.ok()) return r.status();
    s.requirements_.push_back(*std::move(r));
  }
  return s;
}

Selector Selector::Add(std::vector<Requirement> requirements) const {
  if (nothing_) return *this;
  Selector s = *this;
  for (Requirement& r : requirements) s.requirements_.push_back(std::move(r));
  SortByKey(&s.requirements_);
  return s;
}

bool Selector::MatchesLookup(LabelLookup lookup) const {
  if (nothing_) return false;
  for (const Requirement& r : requirements_) {
    std::string_view v;
    if (!r.Matches(lookup(r.key(), &v) ? &v : nullptr)) return false;
  }
  return true;
}

std::optional<std::string_view> Selector::RequiresExactMatch(std::string_view key) const {
  for (const Requirement& r : requirements_) {
    if (r.key() != key) continue;
    switch (r.op()) {
      case Operator::kEquals:
      case Operator::kDoubleEquals:
      case Operator::kIn:
        if (r.values().size() == 1) return std::string_view(r.values()[0]);
        break;
      default:
        break;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

std::string Selector::String() const {
  std::string out;
  for (size_t i = 0; i < requirements_.size(); ++i) {
    if (i > 0) out.push_back(',');
    requirements_[i].AppendString(&out);
  }
  return out;
}

absl::StatusOr<Selector> LabelSelectorAsSelector(const LabelSelector* selector) {
  if (selector == nullptr) return Selector::Nothing();
  if (selector->match_labels.empty() && selector->match_expressions.empty()) {
    return Selector::Everything();
  }
  std::vector<Requirement> reqs;
  reqs.reserve(selector->match_labels.size() + selector->match_expressions.size());
  for (const auto& [k, v] : selector->match_labels) {
    absl::StatusOr<Requirement> made = Requirement::Make(k, Operator::kEquals, {v}, "", false);
    if (!made.ok()) return made.status();
    reqs.push_back(*std::move(made));
  }
  for (const LabelSelectorRequirement& expr : selector->match_expressions) {
    Operator op;
    if (expr.op == "In") {
      op = Operator::kIn;
    } else if (expr.op == "NotIn") {
      op = Operator::kNotIn;
    } else if (expr.op == "Exists") {
      op = Operator::kExists;
    } else if (expr.op == "DoesNotExist") {
      op = Operator::kDoesNotExist;
    } else {
      return absl::InvalidArgumentError(GoQuote(expr.op) +
                                        " is not a valid label selector operator");
    }
    absl::StatusOr<Requirement> made =
        Requirement::Make(expr.key, op, expr.values, "", expr.values.empty());
    if (!made.ok()) return made.status();
    reqs.push_back(*std::move(made));
  }
  return Selector::FromRequirements(std::move(reqs));
}

}  // namespace labels
}  // namespace rudder::api
