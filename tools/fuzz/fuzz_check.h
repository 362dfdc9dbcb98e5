// Invariant checks for fuzz targets: print the failure and abort, so both libFuzzer and the
// replay driver (driver.cc) report the input that broke it.
#ifndef RUDDER_TOOLS_FUZZ_FUZZ_CHECK_H_
#define RUDDER_TOOLS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace rudder::fuzz {

[[noreturn]] inline void Fail(const char* file, int line, const char* cond, std::string_view input,
                              const std::string& detail) {
  std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n  input: \"", file, line, cond);
  for (char c : input) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F && c != '"' && c != '\\') {
      std::fputc(c, stderr);
    } else {
      std::fprintf(stderr, "\\x%02x", u);
    }
  }
  std::fprintf(stderr, "\"\n  %s\n", detail.c_str());
  std::abort();
}

}  // namespace rudder::fuzz

// Checks `cond` for the current `input`; `detail` is any std::string expression.
#define RUDDER_FUZZ_CHECK(cond, input, detail)                                                \
  do {                                                                                        \
    if (!(cond)) ::rudder::fuzz::Fail(__FILE__, __LINE__, #cond, std::string(input), detail); \
  } while (0)

#endif  // RUDDER_TOOLS_FUZZ_FUZZ_CHECK_H_
