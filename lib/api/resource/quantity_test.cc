#include "lib/api/resource/quantity.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/api/resource/internal/big_uint.h"

namespace rudder::api {
namespace {

using F = Quantity::Format;

constexpr int64_t kMostPositive = std::numeric_limits<int64_t>::max();
constexpr int64_t kMostNegative = std::numeric_limits<int64_t>::min();

// mantissa * 10^exponent in `format`.
Quantity Q(int64_t mantissa, int32_t exponent, F format) {
  Quantity q = Quantity::FromScaled(mantissa, exponent);
  q.set_format(format);
  return q;
}

Quantity P(std::string_view s) { return Quantity::ParseOrDie(s); }

struct ParseCase {
  const char* input;
  Quantity expect;
  F format;
};

// Kubernetes' own parse table (quantity_test.go TestQuantityParse).
std::vector<ParseCase> ParseTable() {
  return {
      {"0", Q(0, 0, F::kDecimalSI), F::kDecimalSI},
      {"0n", Q(0, 0, F::kDecimalSI), F::kDecimalSI},
      {"0u", Q(0, 0, F::kDecimalSI), F::kDecimalSI},
      {"0m", Q(0, 0, F::kDecimalSI), F::kDecimalSI},
      {"0Ki", Q(0, 0, F::kBinarySI), F::kBinarySI},
      {"0k", Q(0, 0, F::kDecimalSI), F::kDecimalSI},
      {"0Mi", Q(0, 0, F::kBinarySI), F::kBinarySI},
      {"0M", Q(0, 0, F::kDecimalSI), F::kDecimalSI},
      {"0Gi", Q(0, 0, F::kBinarySI), F::kBinarySI},
      {"0G", Q(0, 0, F::kDecimalSI), F::kDecimalSI},
      {"0Ti", Q(0, 0, F::kBinarySI), F::kBinarySI},
      {"0T", Q(0, 0, F::kDecimalSI), F::kDecimalSI},
      {"1", Q(1, 0, F::kDecimalSI), F::kDecimalSI},
      {"1Ki", Q(1024, 0, F::kBinarySI), F::kBinarySI},
      {"8Ki", Q(8 * 1024, 0, F::kBinarySI), F::kBinarySI},
      {"7Mi", Q(7 * 1024 * 1024, 0, F::kBinarySI), F::kBinarySI},
      {"6Gi", Q(6LL * 1024 * 1024 * 1024, 0, F::kBinarySI), F::kBinarySI},
      {"5Ti", Q(5LL << 40, 0, F::kBinarySI), F::kBinarySI},
      {"4Pi", Q(4LL << 50, 0, F::kBinarySI), F::kBinarySI},
      {"3Ei", Q(3LL << 60, 0, F::kBinarySI), F::kBinarySI},
      {"10Ti", Q(10LL << 40, 0, F::kBinarySI), F::kBinarySI},
      {"100Ti", Q(100LL << 40, 0, F::kBinarySI), F::kBinarySI},
      {"5n", Q(5, -9, F::kDecimalSI), F::kDecimalSI},
      {"4u", Q(4, -6, F::kDecimalSI), F::kDecimalSI},
      {"3m", Q(3, -3, F::kDecimalSI), F::kDecimalSI},
      {"9", Q(9, 0, F::kDecimalSI), F::kDecimalSI},
      {"8k", Q(8, 3, F::kDecimalSI), F::kDecimalSI},
      {"50k", Q(5, 4, F::kDecimalSI), F::kDecimalSI},
      {"7M", Q(7, 6, F::kDecimalSI), F::kDecimalSI},
      {"6G", Q(6, 9, F::kDecimalSI), F::kDecimalSI},
      {"5T", Q(5, 12, F::kDecimalSI), F::kDecimalSI},
      {"40T", Q(4, 13, F::kDecimalSI), F::kDecimalSI},
      {"300T", Q(3, 14, F::kDecimalSI), F::kDecimalSI},
      {"2P", Q(2, 15, F::kDecimalSI), F::kDecimalSI},
      {"1E", Q(1, 18, F::kDecimalSI), F::kDecimalSI},
      {"1E-3", Q(1, -3, F::kDecimalExponent), F::kDecimalExponent},
      {"1e3", Q(1, 3, F::kDecimalExponent), F::kDecimalExponent},
      {"1E6", Q(1, 6, F::kDecimalExponent), F::kDecimalExponent},
      {"1e9", Q(1, 9, F::kDecimalExponent), F::kDecimalExponent},
      {"1E12", Q(1, 12, F::kDecimalExponent), F::kDecimalExponent},
      {"1e15", Q(1, 15, F::kDecimalExponent), F::kDecimalExponent},
      {"1E18", Q(1, 18, F::kDecimalExponent), F::kDecimalExponent},
      {"1e14", Q(1, 14, F::kDecimalExponent), F::kDecimalExponent},
      {"1e13", Q(1, 13, F::kDecimalExponent), F::kDecimalExponent},
      {"100.035k", Q(100035, 0, F::kDecimalSI), F::kDecimalSI},
      {"0.001", Q(1, -3, F::kDecimalSI), F::kDecimalSI},
      {"0.0005k", Q(5, -1, F::kDecimalSI), F::kDecimalSI},
      {"0.005", Q(5, -3, F::kDecimalSI), F::kDecimalSI},
      {"0.05", Q(5, -2, F::kDecimalSI), F::kDecimalSI},
      {"0.5", Q(5, -1, F::kDecimalSI), F::kDecimalSI},
      {"0.00050k", Q(5, -1, F::kDecimalSI), F::kDecimalSI},
      {"0.00500", Q(5, -3, F::kDecimalSI), F::kDecimalSI},
      {"0.05000", Q(5, -2, F::kDecimalSI), F::kDecimalSI},
      {"0.50000", Q(5, -1, F::kDecimalSI), F::kDecimalSI},
      {"0.5e0", Q(5, -1, F::kDecimalExponent), F::kDecimalExponent},
      {"0.5e-1", Q(5, -2, F::kDecimalExponent), F::kDecimalExponent},
      {"0.5e-2", Q(5, -3, F::kDecimalExponent), F::kDecimalExponent},
      {"10.035M", Q(10035, 3, F::kDecimalSI), F::kDecimalSI},
      {"1.2e3", Q(12, 2, F::kDecimalExponent), F::kDecimalExponent},
      {"1.3E+6", Q(13, 5, F::kDecimalExponent), F::kDecimalExponent},
      {"1.40e9", Q(14, 8, F::kDecimalExponent), F::kDecimalExponent},
      {"1.53E12", Q(153, 10, F::kDecimalExponent), F::kDecimalExponent},
      {"1.6e15", Q(16, 14, F::kDecimalExponent), F::kDecimalExponent},
      {"1.7E18", Q(17, 17, F::kDecimalExponent), F::kDecimalExponent},
      {"9.01", Q(901, -2, F::kDecimalSI), F::kDecimalSI},
      {"8.1k", Q(81, 2, F::kDecimalSI), F::kDecimalSI},
      {"7.123456M", Q(7123456, 0, F::kDecimalSI), F::kDecimalSI},
      {"6.987654321G", Q(6987654321, 0, F::kDecimalSI), F::kDecimalSI},
      {"5.444T", Q(5444, 9, F::kDecimalSI), F::kDecimalSI},
      {"40.1T", Q(401, 11, F::kDecimalSI), F::kDecimalSI},
      {"300.2T", Q(3002, 11, F::kDecimalSI), F::kDecimalSI},
      {"2.5P", Q(25, 14, F::kDecimalSI), F::kDecimalSI},
      {"1.01E", Q(101, 16, F::kDecimalSI), F::kDecimalSI},
      // Rounding up to nano, and the BinarySI cap.
      {"3.001n", Q(4, -9, F::kDecimalSI), F::kDecimalSI},
      {"1.1E-9", Q(2, -9, F::kDecimalExponent), F::kDecimalExponent},
      {"0.0000000001", Q(1, -9, F::kDecimalSI), F::kDecimalSI},
      {"0.0000000005", Q(1, -9, F::kDecimalSI), F::kDecimalSI},
      {"0.00000000050", Q(1, -9, F::kDecimalSI), F::kDecimalSI},
      {"0.5e-9", Q(1, -9, F::kDecimalExponent), F::kDecimalExponent},
      {"0.9n", Q(1, -9, F::kDecimalSI), F::kDecimalSI},
      {"0.00000012345", Q(124, -9, F::kDecimalSI), F::kDecimalSI},
      {"0.00000012354", Q(124, -9, F::kDecimalSI), F::kDecimalSI},
      {"9Ei", Q(kMostPositive, 0, F::kBinarySI), F::kBinarySI},
      {"9223372036854775807Ki", Q(kMostPositive, 0, F::kBinarySI), F::kBinarySI},
      {"12E", Q(12, 18, F::kDecimalSI), F::kDecimalSI},
      // Fractional binary quantities.
      {"100.035Ki", Q(10243584, -2, F::kBinarySI), F::kBinarySI},
      {"0.5Mi", Q(512 * 1024, 0, F::kBinarySI), F::kBinarySI},
      {"0.05Gi", Q(536870912, -1, F::kBinarySI), F::kBinarySI},
      {"0.025Ti", Q(274877906944, -1, F::kBinarySI), F::kBinarySI},
      // Odd but accepted.
      {"0.000000000001Ki", Q(2, -9, F::kDecimalSI), F::kDecimalSI},
      {".001", Q(1, -3, F::kDecimalSI), F::kDecimalSI},
      {".0001k", Q(100, -3, F::kDecimalSI), F::kDecimalSI},
      {"1.", Q(1, 0, F::kDecimalSI), F::kDecimalSI},
      {"1.G", Q(1, 9, F::kDecimalSI), F::kDecimalSI},
  };
}

TEST(QuantityParseTest, KubernetesTable) {
  for (const ParseCase& c : ParseTable()) {
    absl::StatusOr<Quantity> got = Quantity::Parse(c.input);
    ASSERT_TRUE(got.ok()) << c.input << ": " << got.status();
    EXPECT_EQ(got->Cmp(c.expect), 0) << c.input << " parsed as " << got->String();
    EXPECT_EQ(got->format(), c.format) << c.input;
  }
}

TEST(QuantityParseTest, NegativeAndExplicitPlusVariants) {
  for (const ParseCase& c : ParseTable()) {
    std::string neg = std::string("-") + c.input;
    absl::StatusOr<Quantity> got = Quantity::Parse(neg);
    ASSERT_TRUE(got.ok()) << neg;
    Quantity expect = c.expect;
    expect.Neg();
    EXPECT_EQ(got->Cmp(expect), 0) << neg << " parsed as " << got->String();
    EXPECT_EQ(got->format(), c.format) << neg;

    std::string plus = std::string("+") + c.input;
    got = Quantity::Parse(plus);
    ASSERT_TRUE(got.ok()) << plus;
    EXPECT_EQ(got->Cmp(c.expect), 0) << plus;
    EXPECT_EQ(got->format(), c.format) << plus;
  }
}

TEST(QuantityParseTest, RejectsMalformedWithKubernetesErrors) {
  const std::string format_wrong =
      "quantities must match the regular expression "
      "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
  const std::string suffix_wrong = "unable to parse quantity's suffix";
  struct {
    const char* input;
    std::string message;
  } cases[] = {
      {"", format_wrong},
      {"1.1.M", format_wrong},
      {"1+1.0M", format_wrong},
      {"0.1mi", suffix_wrong},
      {"0.1am", format_wrong},
      {"aoeu", format_wrong},
      {".5i", suffix_wrong},
      {"1i", suffix_wrong},
      {"-3.01i", suffix_wrong},
      {"-3.01e-", suffix_wrong},
      {" 1", format_wrong},
      {"1 ", format_wrong},
      {"1Ki5", suffix_wrong},
      {"1e", suffix_wrong},
      {"1ee3", suffix_wrong},
      {"1e99999999999999999999", suffix_wrong},
      {"1k ", format_wrong},
      {"Ei", "unable to parse numeric part of quantity"},
      {".e-20", "unable to parse numeric part of quantity"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<Quantity> got = Quantity::Parse(c.input);
    ASSERT_FALSE(got.ok()) << '"' << c.input << "\" parsed as " << got->String();
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << c.input;
    EXPECT_EQ(got.status().message(), c.message) << c.input;
  }
}

TEST(QuantityParseTest, EmptyNumbersAreZeroLikeKubernetes) {
  // Kubernetes' scanner reads a missing number as 0.
  for (const char* s : {".", "-.", "+", "-", "Ki", "m", "k", ".e5", "-0", "000"}) {
    absl::StatusOr<Quantity> got = Quantity::Parse(s);
    ASSERT_TRUE(got.ok()) << s << ": " << got.status();
    EXPECT_TRUE(got->IsZero()) << s;
    EXPECT_EQ(got->String(), "0") << s;
  }
}

struct StringCase {
  Quantity in;
  const char* expect;
  const char* alternate;
};

// Kubernetes' TestQuantityString table.
TEST(QuantityStringTest, KubernetesTable) {
  const StringCase table[] = {
      {Q(1024 * 1024 * 1024, 0, F::kBinarySI), "1Gi", "1024Mi"},
      {Q(300 * 1024 * 1024, 0, F::kBinarySI), "300Mi", "307200Ki"},
      {Q(6 * 1024, 0, F::kBinarySI), "6Ki", ""},
      {Q(1001LL * 1024 * 1024 * 1024, 0, F::kBinarySI), "1001Gi", "1025024Mi"},
      {Q(1024LL * 1024 * 1024 * 1024, 0, F::kBinarySI), "1Ti", "1024Gi"},
      {Q(5, 0, F::kBinarySI), "5", "5000m"},
      {Q(500, -3, F::kBinarySI), "500m", "0.5"},
      {Q(1, 9, F::kDecimalSI), "1G", "1000M"},
      {Q(1000, 6, F::kDecimalSI), "1G", "0.001T"},
      {Q(1000000, 3, F::kDecimalSI), "1G", ""},
      {Q(1000000000, 0, F::kDecimalSI), "1G", ""},
      {Q(1, -3, F::kDecimalSI), "1m", "1000u"},
      {Q(80, -3, F::kDecimalSI), "80m", ""},
      {Q(1080, -3, F::kDecimalSI), "1080m", "1.08"},
      {Q(108, -2, F::kDecimalSI), "1080m", "1080000000n"},
      {Q(10800, -4, F::kDecimalSI), "1080m", ""},
      {Q(300, 6, F::kDecimalSI), "300M", ""},
      {Q(1, 12, F::kDecimalSI), "1T", ""},
      {Q(1, 18, F::kDecimalSI), "1E", ""},
      {Q(1, 21, F::kDecimalSI), "1e21", "1000E"},
      {Q(5, 21, F::kDecimalSI), "5e21", "5000E"},
      {Q(1, 24, F::kDecimalSI), "1e24", "1000000E"},
      {Q(1234567, 6, F::kDecimalSI), "1234567M", ""},
      {Q(1234567, -3, F::kBinarySI), "1234567m", ""},
      {Q(3, 3, F::kDecimalSI), "3k", ""},
      {Q(1025, 0, F::kBinarySI), "1025", ""},
      {Q(0, 0, F::kDecimalSI), "0", ""},
      {Q(0, 0, F::kBinarySI), "0", ""},
      {Q(1, 9, F::kDecimalExponent), "1e9", ".001e12"},
      {Q(1, -3, F::kDecimalExponent), "1e-3", "0.001e0"},
      {Q(1, -9, F::kDecimalExponent), "1e-9", "1000e-12"},
      {Q(80, -3, F::kDecimalExponent), "80e-3", ""},
      {Q(300, 6, F::kDecimalExponent), "300e6", ""},
      {Q(1, 12, F::kDecimalExponent), "1e12", ""},
      {Q(1, 3, F::kDecimalExponent), "1e3", ""},
      {Q(3, 3, F::kDecimalExponent), "3e3", ""},
      {Q(3, 3, F::kDecimalSI), "3k", ""},
      {Q(0, 0, F::kDecimalExponent), "0", "00"},
      {Q(1, -9, F::kDecimalSI), "1n", ""},
      {Q(80, -9, F::kDecimalSI), "80n", ""},
      {Q(1080, -9, F::kDecimalSI), "1080n", ""},
      {Q(108, -8, F::kDecimalSI), "1080n", ""},
      {Q(10800, -10, F::kDecimalSI), "1080n", ""},
      {Q(1, -6, F::kDecimalSI), "1u", ""},
      {Q(80, -6, F::kDecimalSI), "80u", ""},
      {Q(1080, -6, F::kDecimalSI), "1080u", ""},
  };
  for (const StringCase& c : table) {
    EXPECT_EQ(c.in.String(), c.expect);
    Quantity parsed = P(c.expect);
    EXPECT_EQ(parsed.String(), c.expect);
    EXPECT_EQ(parsed.Cmp(c.in), 0) << c.expect;
    if (*c.alternate != '\0') {
      Quantity alt = P(c.alternate);
      EXPECT_EQ(alt.String(), c.expect) << c.alternate;
    }
    if (!c.in.IsZero()) {
      Quantity neg = c.in;
      neg.Neg();
      EXPECT_EQ(neg.String(), std::string("-") + c.expect);
    }
  }
}

TEST(QuantityStringTest, ParseEmit) {
  const std::pair<const char*, const char*> table[] = {
      {"1Ki", "1Ki"},
      {"1Mi", "1Mi"},
      {"1Gi", "1Gi"},
      {"1024Mi", "1Gi"},
      {"1000M", "1G"},
      {".001Ki", "1024m"},
      {".000001Ki", "1024u"},
      {".000000001Ki", "1024n"},
      {".000000000001Ki", "2n"},
      // From the Kubernetes documentation and the task's examples.
      {"100m", "100m"},
      {"1.5", "1500m"},
      {"1.5Gi", "1536Mi"},
      {"0.1", "100m"},
      {"2e3", "2e3"},
      {"129e6", "129e6"},
      {"129M", "129M"},
      {"128974848", "128974848"},
      {"123Mi", "123Mi"},
      {"0.5Ki", "512"},
      {"1.1Ki", "1126400m"},
      {"1000m", "1"},
      {"2000e-3", "2"},
      {"1.5e-3", "1500e-6"},
      {"1e-12", "1e-9"},
      {"100.035Ki", "102435840m"},
      {"18446744073709551616", "18446744073709551616"},
      {"9Ei", "9223372036854775807"},
      {"1234567890123456789012k", "1234567890123456789012k"},
      {"0.000000000000000000001e30", "1e9"},
      {"1e100", "10e99"},
  };
  for (const auto& [in, expect] : table) {
    EXPECT_EQ(P(in).String(), expect) << in;
    Quantity neg = P(std::string("-") + in);
    if (!neg.IsZero()) {
      EXPECT_EQ(neg.String(), std::string("-") + expect) << in;
    }
  }
}

TEST(QuantityStringTest, KeepsCanonicalInputTextLikeKubernetes) {
  // Kubernetes' parser keeps text it deems canonical verbatim, sign and all.
  EXPECT_EQ(P("+1k").String(), "+1k");
  EXPECT_EQ(P("1.001k").String(), "1.001k");
  EXPECT_EQ(P("+1Ki").String(), "+1Ki");
  // Arithmetic and format changes drop it.
  Quantity q = P("+1k");
  q.Add(Quantity());
  EXPECT_EQ(q.String(), "1k");
  q = P("1.001k");
  q.set_format(F::kDecimalSI);
  EXPECT_EQ(q.String(), "1001");
}

TEST(QuantityStringTest, ConstructorsAndFormats) {
  EXPECT_EQ(Quantity::FromMilli(1, F::kDecimalSI).String(), "1m");
  EXPECT_EQ(Quantity::FromMilli(1000, F::kDecimalSI).String(), "1");
  EXPECT_EQ(Quantity::FromMilli(1234000, F::kDecimalSI).String(), "1234");
  EXPECT_EQ(Quantity::FromMilli(1024, F::kBinarySI).String(), "1024m");
  EXPECT_EQ(Quantity::FromMilli(1000000, F::kDecimalExponent).String(), "1e3");
  EXPECT_EQ(Quantity::FromMilli(1024 * 1024, F::kBinarySI).String(), "1048576m");
  EXPECT_EQ(Quantity::FromInt64(1, F::kDecimalSI).String(), "1");
  EXPECT_EQ(Quantity::FromInt64(1000, F::kDecimalSI).String(), "1k");
  EXPECT_EQ(Quantity::FromInt64(1234000, F::kDecimalSI).String(), "1234k");
  EXPECT_EQ(Quantity::FromInt64(1024, F::kBinarySI).String(), "1Ki");
  EXPECT_EQ(Quantity::FromInt64(1000000, F::kDecimalExponent).String(), "1e6");
  EXPECT_EQ(Quantity::FromInt64(1024 * 1024, F::kBinarySI).String(), "1Mi");
  EXPECT_EQ(Quantity::FromScaled(1, kNano).String(), "1n");
  EXPECT_EQ(Quantity::FromScaled(1000, kNano).String(), "1u");
  EXPECT_EQ(Quantity::FromScaled(1, kMicro).String(), "1u");
  EXPECT_EQ(Quantity::FromScaled(1000, kMicro).String(), "1m");
  EXPECT_EQ(Quantity::FromScaled(1, kMilli).String(), "1m");
  EXPECT_EQ(Quantity::FromScaled(1000, kMilli).String(), "1");
  EXPECT_EQ(Quantity::FromScaled(0, kNano).String(), "0");
  EXPECT_EQ(Quantity::FromInt64(kMostNegative, F::kDecimalSI).String(), "-9223372036854775808");
  EXPECT_EQ(Quantity::FromInt64(kMostNegative, F::kBinarySI).String(), "-8Ei");
  EXPECT_EQ(FormatName(F::kBinarySI), "BinarySI");
}

TEST(QuantityCmpTest, KubernetesCases) {
  EXPECT_EQ(P("0").Cmp(P("0")), 0);
  EXPECT_EQ(P("100m").Cmp(P("50m")), 1);
  EXPECT_EQ(P("50m").Cmp(P("100m")), -1);
  EXPECT_EQ(P("10000T").Cmp(P("100Gi")), 1);
  EXPECT_EQ(P("1k").Cmp(P("1000")), 0);
  EXPECT_EQ(P("1k").Cmp(P("1e3")), 0);
  EXPECT_TRUE(P("1Ki") == P("1024"));
  EXPECT_EQ(P("1e100").Cmp(P("9223372036854775807")), 1);
  EXPECT_EQ(P("-1e100").Cmp(P("1n")), -1);
  EXPECT_EQ(P("1e-100").Cmp(P("1n")), 0);  // rounded up to 1n on parse
  EXPECT_EQ(P("123456789012345678901234567890").Cmp(P("123456789012345678901234567891")), -1);
  EXPECT_EQ(P("12345678901234567890123456789e1").Cmp(P("123456789012345678901234567890")), 0);
}

TEST(QuantityCmpTest, Int64AndScaleMix) {
  struct {
    Quantity a, b;
    int cmp;
  } table[] = {
      {Q(901, -2, F::kDecimalSI), Q(901, -2, F::kDecimalSI), 0},
      {Q(90, -1, F::kDecimalSI), Q(901, -2, F::kDecimalSI), -1},
      {Q(901, -2, F::kDecimalSI), Q(900, -2, F::kDecimalSI), 1},
      {Q(0, 1, F::kDecimalSI), Q(0, -1, F::kDecimalSI), 0},
      {Q(800, -3, F::kDecimalSI), Q(1, 0, F::kDecimalSI), -1},
      {Q(800, -3, F::kDecimalSI), Q(79, -2, F::kDecimalSI), 1},
      {Q(kMostPositive, 0, F::kDecimalSI), Q(1, -1, F::kDecimalSI), 1},
      {Q(kMostPositive, 1, F::kDecimalSI), Q(1, 0, F::kDecimalSI), 1},
      {Q(kMostPositive, 1, F::kDecimalSI), Q(1, 1, F::kDecimalSI), 1},
      {Q(kMostPositive, 1, F::kDecimalSI), Q(0, 1, F::kDecimalSI), 1},
      {Q(kMostPositive, -16, F::kDecimalSI), Q(1, 3, F::kDecimalSI), -1},
      {Q(kMostNegative, 0, F::kDecimalSI), Q(0, 0, F::kDecimalSI), -1},
      {Q(kMostNegative, -18, F::kDecimalSI), Q(-1, 0, F::kDecimalSI), -1},
      {Q(kMostNegative, -19, F::kDecimalSI), Q(-1, 0, F::kDecimalSI), 1},
      {Q(1000000000000000000, -17, F::kDecimalSI), Q(1, 1, F::kDecimalSI), 0},
      {Q(1000000000000000000, -17, F::kDecimalSI), Q(-10, 0, F::kDecimalSI), 1},
      {Q(-1000000000000000000, -17, F::kDecimalSI), Q(-10, 0, F::kDecimalSI), 0},
      {Q(1000000000000000000, -17, F::kDecimalSI), Q(1, 0, F::kDecimalSI), 1},
      {Q(1000000000000000001, -17, F::kDecimalSI), Q(1, 1, F::kDecimalSI), 1},
      {Q(999999999999999999, -17, F::kDecimalSI), Q(1, 1, F::kDecimalSI), -1},
      {Q(1, 40, F::kDecimalSI), Q(kMostPositive, 20, F::kDecimalSI), 1},
  };
  for (const auto& c : table) {
    EXPECT_EQ(c.a.Cmp(c.b), c.cmp) << c.a.String() << " vs " << c.b.String();
    EXPECT_EQ(c.b.Cmp(c.a), -c.cmp) << c.b.String() << " vs " << c.a.String();
  }
  EXPECT_EQ(P("1Ki").CmpInt64(1024), 0);
  EXPECT_EQ(P("1001m").CmpInt64(1), 1);
}

TEST(QuantityArithmeticTest, AddAndSub) {
  Quantity a = Q(10, 0, F::kDecimalSI);
  a.Add(Q(1, 1, F::kDecimalSI));
  EXPECT_EQ(a.Cmp(Q(20, 0, F::kDecimalSI)), 0);
  a = Q(10, 0, F::kDecimalSI);
  a.Add(Q(1, 0, F::kBinarySI));
  EXPECT_EQ(a.Cmp(Q(11, 0, F::kDecimalSI)), 0);
  EXPECT_EQ(a.format(), F::kDecimalSI);
  a = Q(10, 0, F::kBinarySI);
  a.Sub(Q(1, 0, F::kDecimalSI));
  EXPECT_EQ(a.Cmp(Q(9, 0, F::kDecimalSI)), 0);
  EXPECT_EQ(a.format(), F::kBinarySI);
  a = Quantity();
  a.Sub(Q(50, 0, F::kDecimalSI));
  EXPECT_EQ(a.String(), "-50");

  Quantity cpu = P("250m");
  cpu.Add(P("1.5"));
  EXPECT_EQ(cpu.String(), "1750m");
  Quantity mem = P("1Gi");
  mem.Add(P("512Mi"));
  EXPECT_EQ(mem.String(), "1536Mi");
  mem.Sub(P("1536Mi"));
  EXPECT_TRUE(mem.IsZero());
  EXPECT_EQ(mem.String(), "0");
  // Many small additions stay exact (no floating-point drift).
  Quantity sum;
  for (int i = 0; i < 1000; ++i) sum.Add(P("0.1"));
  EXPECT_EQ(sum.String(), "100");
  // Mixed huge and tiny values.
  Quantity big = P("1e30");
  big.Add(P("1n"));
  EXPECT_EQ(big.String(), "1000000000000000000000000000000000000001e-9");
  big.Sub(P("1e30"));
  EXPECT_EQ(big.String(), "1e-9");
}

TEST(QuantityArithmeticTest, ZeroTakesTheOtherFormat) {
  for (const char* v : {"100m", "1Gi"}) {
    Quantity zero = P("0");
    Quantity value = P(v);
    Quantity v1 = value;
    v1.Add(zero);
    EXPECT_EQ(v1.String(), v);
    Quantity v2 = zero;
    v2.Add(value);
    EXPECT_EQ(v2.String(), v);
    Quantity v3 = value;
    v3.Sub(zero);
    EXPECT_EQ(v3.String(), v);
    Quantity v4 = zero;
    v4.Sub(value);
    EXPECT_EQ(v4.String(), std::string("-") + v);
  }
}

TEST(QuantityArithmeticTest, OverflowMovesToArbitraryPrecision) {
  Quantity q = Q(kMostNegative, 0, F::kDecimalSI);
  q.Neg();
  EXPECT_EQ(q.String(), "9223372036854775808");
  EXPECT_FALSE(q.AsInt64().has_value());
  Quantity one = Q(1, 0, F::kDecimalSI);
  one.Sub(Q(kMostNegative, 0, F::kDecimalSI));
  EXPECT_EQ(one.String(), "9223372036854775809");
  Quantity milli = Q(kMostNegative, kMilli, F::kDecimalSI);
  milli.Neg();
  EXPECT_EQ(milli.String(), "9223372036854775808m");
  Quantity ten = Q(1, 1, F::kDecimalSI);
  ten.Sub(Q(kMostNegative, 0, F::kDecimalSI));
  EXPECT_EQ(ten.String(), "9223372036854775818");
  Quantity bin;
  bin.Sub(Q(kMostNegative, 0, F::kBinarySI));
  EXPECT_EQ(bin.format(), F::kBinarySI);
  EXPECT_EQ(bin.String(), "8Ei");
  Quantity max = Q(kMostPositive, 0, F::kDecimalSI);
  max.Add(max);
  EXPECT_EQ(max.String(), "18446744073709551614");
  max.Sub(Q(kMostPositive, 0, F::kDecimalSI));
  EXPECT_EQ(max.AsInt64(), kMostPositive);
}

TEST(QuantityArithmeticTest, HugeExponentsStayExact) {
  // Found by the fuzzer: a mantissa with trailing zeros next to the largest exponent.
  for (const char* s : {"10000000000000000000000000e2147483647", "10000000000000000000e2147483647",
                        "300e2147483647", "-12345678901234567890e-2147483648"}) {
    Quantity q = P(s);
    Quantity twice = q;
    twice.Add(q);
    twice.Sub(q);
    EXPECT_EQ(twice.Cmp(q), 0) << s << ": " << twice.String();
    Quantity doubled = q;
    doubled.Add(q);
    EXPECT_EQ(doubled.Cmp(q), q.Sign()) << s;
  }
  EXPECT_EQ(P("10000000000000000000000000e2147483647").String(), "100e2147483670");
}

TEST(QuantityValueTest, ValueRoundsAwayFromZero) {
  EXPECT_EQ(P("1.1").Value(), 2);
  EXPECT_EQ(P("-1.1").Value(), -2);
  EXPECT_EQ(P("100m").Value(), 1);
  EXPECT_EQ(P("1Ki").Value(), 1024);
  EXPECT_EQ(P("1.5Gi").Value(), 1610612736);
  EXPECT_EQ(P("100m").MilliValue(), 100);
  EXPECT_EQ(P("1").MilliValue(), 1000);
  EXPECT_EQ(P("1n").MilliValue(), 1);
  EXPECT_EQ(P("-1n").MilliValue(), -1);
  EXPECT_EQ(P("1.5").MilliValue(), 1500);
  EXPECT_EQ(P("1e100").Value(), kMostPositive);
  EXPECT_EQ(P("-1e100").Value(), kMostNegative);
  EXPECT_EQ(P("123456789012345678901234567890e-20").Value(), 1234567891);
  EXPECT_EQ(P("-123456789012345678901234567890e-20").Value(), -1234567891);
}

TEST(QuantityValueTest, ScaledValueKubernetesTable) {
  struct {
    int32_t from, to;
    int64_t expected;
  } table[] = {
      {kNano, kNano, 1},
      {kNano, kMicro, 1},
      {kNano, kMilli, 1},
      {kNano, 0, 1},
      {kMicro, kNano, 1000},
      {kMicro, kMicro, 1},
      {kMicro, kMilli, 1},
      {kMicro, 0, 1},
      {kMilli, kNano, 1000 * 1000},
      {kMilli, kMicro, 1000},
      {kMilli, kMilli, 1},
      {kMilli, 0, 1},
      {0, kNano, 1000 * 1000 * 1000},
      {0, kMicro, 1000 * 1000},
      {0, kMilli, 1000},
      {0, 0, 1},
      {2, -2, 100 * 100},
  };
  for (const auto& c : table) {
    EXPECT_EQ(Quantity::FromScaled(1, c.from).ScaledValue(c.to), c.expected)
        << c.from << " -> " << c.to;
  }
}

TEST(QuantityValueTest, AsInt64AndDouble) {
  EXPECT_EQ(P("1k").AsInt64(), 1000);
  EXPECT_EQ(P("1000m").AsInt64(), 1);
  EXPECT_FALSE(P("1500m").AsInt64().has_value());
  EXPECT_FALSE(P("1e19").AsInt64().has_value());
  EXPECT_DOUBLE_EQ(P("1.5").AsApproximateDouble(), 1.5);
  EXPECT_DOUBLE_EQ(P("100m").AsApproximateDouble(), 0.1);
  EXPECT_DOUBLE_EQ(P("1Gi").AsApproximateDouble(), 1073741824.0);
  EXPECT_DOUBLE_EQ(P("-2e3").AsApproximateDouble(), -2000.0);
  EXPECT_DOUBLE_EQ(P("18446744073709551616").AsApproximateDouble(), 18446744073709551616.0);
  EXPECT_TRUE(std::isinf(P("1e400").AsApproximateDouble()));
}

TEST(QuantityParseTest, RoundTripsThroughString) {
  for (const ParseCase& c : ParseTable()) {
    Quantity q = P(c.input);
    Quantity again = P(q.String());
    EXPECT_EQ(again.Cmp(q), 0) << c.input << " -> " << q.String();
    EXPECT_EQ(again.String(), q.String()) << c.input;
  }
}

TEST(BigUintTest, DecimalOperations) {
  using api_internal::BigUint;
  BigUint a = BigUint::FromDigits("123456789012345678901234567890");
  EXPECT_EQ(a.ToString(), "123456789012345678901234567890");
  EXPECT_EQ(a.NumDigits(), 30);
  EXPECT_EQ(a.TrailingZeros(), 1);
  a.MulPow10(20);
  EXPECT_EQ(a.ToString(), "12345678901234567890123456789000000000000000000000");
  EXPECT_FALSE(a.DivPow10(21));
  EXPECT_EQ(a.ToString(), "12345678901234567890123456789");
  EXPECT_TRUE(a.DivPow10(2));
  EXPECT_EQ(a.ToString(), "123456789012345678901234567");
  BigUint b = BigUint::FromDigits("999999999999999999");
  b.AddSmall(1);
  EXPECT_EQ(b.ToString(), "1000000000000000000");
  b.Sub(BigUint::FromDigits("1"));
  EXPECT_EQ(b.ToString(), "999999999999999999");
  b.Add(BigUint::FromDigits("1"));
  EXPECT_EQ(b.ToString(), "1000000000000000000");
  EXPECT_EQ(BigUint::FromDigits("0000").ToString(), "0");
  EXPECT_EQ(BigUint::FromDigits("1048576").ModSmall(1024), 0u);
}

}  // namespace
}  // namespace rudder::api
