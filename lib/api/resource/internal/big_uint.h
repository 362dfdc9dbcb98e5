// An unsigned arbitrary-precision integer for the slow path of Quantity.
//
// Limbs are base 10^9, least significant first, so decimal shifts, digit counts and printing
// are cheap. Only the operations Quantity needs are provided. Not thread-safe for writes;
// const methods may be called concurrently.
#ifndef RUDDER_LIB_API_RESOURCE_INTERNAL_BIG_UINT_H_
#define RUDDER_LIB_API_RESOURCE_INTERNAL_BIG_UINT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rudder::api_internal {

class BigUint {
 public:
  static constexpr uint32_t kBase = 1000000000;

  BigUint() = default;
  static BigUint FromU128(unsigned __int128 v);
  // `digits` holds only '0'-'9' (may be empty: zero).
  static BigUint FromDigits(std::string_view digits);

  bool IsZero() const { return limbs_.empty(); }
  // -1, 0 or 1.
  int Compare(const BigUint& other) const;
  // Number of decimal digits; 0 for zero.
  int64_t NumDigits() const;
  // Number of trailing decimal zeros; 0 for zero.
  int64_t TrailingZeros() const;

  void MulSmall(uint32_t m);
  void AddSmall(uint32_t a);
  // Divides in place and returns the remainder. `d` must be non-zero.
  uint32_t DivSmall(uint32_t d);
  // Remainder of division by `d` without changing the value.
  uint32_t ModSmall(uint32_t d) const;
  // Multiplies by 10^k, k >= 0.
  void MulPow10(int64_t k);
  // Divides by 10^k (k >= 0), truncating; returns true if a non-zero remainder was dropped.
  bool DivPow10(int64_t k);

  void Add(const BigUint& other);
  // Requires *this >= other.
  void Sub(const BigUint& other);

  // True (and sets *out) when the value fits in 128 bits.
  bool ToU128(unsigned __int128* out) const;
  void AppendDecimal(std::string* out) const;
  std::string ToString() const;

 private:
  void Trim();
  std::vector<uint32_t> limbs_;
};

// Appends the decimal digits of `v`.
void AppendU128(unsigned __int128 v, std::string* out);

}  // namespace rudder::api_internal

#endif  // RUDDER_LIB_API_RESOURCE_INTERNAL_BIG_UINT_H_
