// Invariant checks for the codec fuzz targets: print the input and abort.
#ifndef RUDDER_LIB_API_CODEC_FUZZ_FUZZ_CHECK_H_
#define RUDDER_LIB_API_CODEC_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#define CODEC_FUZZ_CHECK(cond, input, detail)                                           \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::string in_(input);                                                           \
      std::fprintf(stderr, "input (%zu bytes): ", in_.size());                          \
      for (unsigned char c : in_) {                                                     \
        if (c >= 0x20 && c < 0x7f && c != '\\')                                         \
          std::fputc(c, stderr);                                                        \
        else                                                                            \
          std::fprintf(stderr, "\\x%02x", c);                                           \
      }                                                                                 \
      std::fprintf(stderr, "\n%s\n", std::string(detail).c_str());                      \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

#endif  // RUDDER_LIB_API_CODEC_FUZZ_FUZZ_CHECK_H_
