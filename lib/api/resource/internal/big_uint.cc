#include "lib/api/resource/internal/big_uint.h"

#include <algorithm>

namespace rudder::api_internal {
namespace {

constexpr uint32_t kPow10[10] = {1,      10,      100,      1000,      10000,
                                 100000, 1000000, 10000000, 100000000, 1000000000};

int DigitsOf(uint32_t v) {
  int n = 1;
  while (n < 10 && v >= kPow10[n]) ++n;
  return n;
}

}  // namespace

void AppendU128(unsigned __int128 v, std::string* out) {
  char buf[40];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  } while (v != 0);
  while (n > 0) out->push_back(buf[--n]);
}

BigUint BigUint::FromU128(unsigned __int128 v) {
  BigUint r;
  while (v != 0) {
    r.limbs_.push_back(static_cast<uint32_t>(v % kBase));
    v /= kBase;
  }
  return r;
}

BigUint BigUint::FromDigits(std::string_view digits) {
  BigUint r;
  size_t end = digits.size();
  r.limbs_.reserve(end / 9 + 1);
  while (end > 0) {
    size_t start = end >= 9 ? end - 9 : 0;
    uint32_t limb = 0;
    for (size_t i = start; i < end; ++i) limb = limb * 10 + static_cast<uint32_t>(digits[i] - '0');
    r.limbs_.push_back(limb);
    end = start;
  }
  r.Trim();
  return r;
}

void BigUint::Trim() {
  while (!limbs_.empty() && limbs_.back() == 0) limbs_.pop_back();
}

int BigUint::Compare(const BigUint& other) const {
  if (limbs_.size() != other.limbs_.size()) return limbs_.size() < other.limbs_.size() ? -1 : 1;
  for (size_t i = limbs_.size(); i-- > 0;) {
    if (limbs_[i] != other.limbs_[i]) return limbs_[i] < other.limbs_[i] ? -1 : 1;
  }
  return 0;
}

int64_t BigUint::NumDigits() const {
  if (limbs_.empty()) return 0;
  return static_cast<int64_t>(limbs_.size() - 1) * 9 + DigitsOf(limbs_.back());
}

int64_t BigUint::TrailingZeros() const {
  int64_t n = 0;
  for (uint32_t limb : limbs_) {
    if (limb == 0) {
      n += 9;
      continue;
    }
    while (limb % 10 == 0) {
      limb /= 10;
      ++n;
    }
    return n;
  }
  return 0;
}

void BigUint::MulSmall(uint32_t m) {
  if (m == 0) {
    limbs_.clear();
    return;
  }
  uint64_t carry = 0;
  for (uint32_t& limb : limbs_) {
    uint64_t v = static_cast<uint64_t>(limb) * m + carry;
    limb = static_cast<uint32_t>(v % kBase);
    carry = v / kBase;
  }
  while (carry != 0) {
    limbs_.push_back(static_cast<uint32_t>(carry % kBase));
    carry /= kBase;
  }
}

void BigUint::AddSmall(uint32_t a) {
  uint64_t carry = a;
  for (size_t i = 0; carry != 0; ++i) {
    if (i == limbs_.size()) limbs_.push_back(0);
    uint64_t v = limbs_[i] + carry;
    limbs_[i] = static_cast<uint32_t>(v % kBase);
    carry = v / kBase;
  }
}

uint32_t BigUint::DivSmall(uint32_t d) {
  uint64_t rem = 0;
  for (size_t i = limbs_.size(); i-- > 0;) {
    uint64_t cur = rem * kBase + limbs_[i];
    limbs_[i] = static_cast<uint32_t>(cur / d);
    rem = cur % d;
  }
  Trim();
  return static_cast<uint32_t>(rem);
}

uint32_t BigUint::ModSmall(uint32_t d) const {
  uint64_t rem = 0;
  for (size_t i = limbs_.size(); i-- > 0;) rem = (rem * kBase + limbs_[i]) % d;
  return static_cast<uint32_t>(rem);
}

void BigUint::MulPow10(int64_t k) {
  if (limbs_.empty() || k <= 0) return;
  MulSmall(kPow10[k % 9]);
  limbs_.insert(limbs_.begin(), static_cast<size_t>(k / 9), 0u);
}

bool BigUint::DivPow10(int64_t k) {
  if (limbs_.empty() || k <= 0) return false;
  if (k >= NumDigits()) {
    limbs_.clear();
    return true;
  }
  size_t whole = static_cast<size_t>(k / 9);
  bool dropped = false;
  for (size_t i = 0; i < whole; ++i) dropped |= limbs_[i] != 0;
  limbs_.erase(limbs_.begin(), limbs_.begin() + whole);
  if (k % 9 != 0) dropped |= DivSmall(kPow10[k % 9]) != 0;
  Trim();
  return dropped;
}

void BigUint::Add(const BigUint& other) {
  if (limbs_.size() < other.limbs_.size()) limbs_.resize(other.limbs_.size(), 0);
  uint32_t carry = 0;
  for (size_t i = 0; i < limbs_.size(); ++i) {
    uint32_t v = limbs_[i] + carry + (i < other.limbs_.size() ? other.limbs_[i] : 0);
    carry = v >= kBase ? 1 : 0;
    limbs_[i] = v - carry * kBase;
    if (carry == 0 && i >= other.limbs_.size()) break;
  }
  if (carry != 0) limbs_.push_back(carry);
}

void BigUint::Sub(const BigUint& other) {
  int64_t borrow = 0;
  for (size_t i = 0; i < limbs_.size(); ++i) {
    int64_t v =
        static_cast<int64_t>(limbs_[i]) - borrow - (i < other.limbs_.size() ? other.limbs_[i] : 0);
    borrow = v < 0 ? 1 : 0;
    limbs_[i] = static_cast<uint32_t>(v + borrow * kBase);
    if (borrow == 0 && i >= other.limbs_.size()) break;
  }
  Trim();
}

bool BigUint::ToU128(unsigned __int128* out) const {
  if (limbs_.size() > 5) return false;
  unsigned __int128 v = 0;
  const unsigned __int128 max = ~static_cast<unsigned __int128>(0);
  for (size_t i = limbs_.size(); i-- > 0;) {
    if (v > (max - limbs_[i]) / kBase) return false;
    v = v * kBase + limbs_[i];
  }
  *out = v;
  return true;
}

void BigUint::AppendDecimal(std::string* out) const {
  if (limbs_.empty()) {
    out->push_back('0');
    return;
  }
  out->append(std::to_string(limbs_.back()));
  for (size_t i = limbs_.size() - 1; i-- > 0;) {
    char buf[9];
    uint32_t v = limbs_[i];
    for (int j = 8; j >= 0; --j) {
      buf[j] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    out->append(buf, 9);
  }
}

std::string BigUint::ToString() const {
  std::string s;
  AppendDecimal(&s);
  return s;
}

}  // namespace rudder::api_internal
