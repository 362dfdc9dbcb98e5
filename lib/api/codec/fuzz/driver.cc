// A bounded stand-in for libFuzzer's main(), so fuzz targets run as ordinary tests with g++.
//
// Replays every seed file under the directories given as arguments, then runs a fixed number
// of random mutations of the seeds (byte flips, insertions of grammar tokens, deletions,
// splices) through LLVMFuzzerTestOneInput. Deterministic: a fixed PRNG seed.
//   --iterations=N   mutations to run (default 20000; env RUDDER_FUZZ_ITERATIONS)
//   --seed=N         PRNG seed (default 1)
//   --max_len=N      longest generated input (default 1024)
// A target reports a failure by aborting; the input being run is printed first.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

const char* const kTokens[] = {
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "\\",
    "\\u00",
    "\\ud800",
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1e999",
    "1.5",
    "18446744073709551616",
    "\"kind\"",
    "\"apiVersion\"",
    "\"metadata\"",
    "\"quantity\"",
    "\"raw\"",
    "\"items\"",
    "\"labels\"",
    "\"time\"",
    "\"2024-01-02T03:04:05Z\"",
    "\"1h2m3s\"",
    "\"100m\"",
    "\xff",
    "\xc3\xa9",
    "\n",
    " ",
    "---\n",
    "- ",
    ": ",
    "&a ",
    "*a",
    "<<: ",
    "? ",
    "|\n",
    ">-\n",
    "'",
    "#",
    "!!str ",
    "!!int ",
    "~",
    "yes",
    "0x1F",
    ".inf",
    "\t",
};

uint64_t Flag(int argc, char** argv, const char* name, uint64_t def) {
  std::string prefix = std::string("--") + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) {
      return std::strtoull(argv[i] + prefix.size(), nullptr, 10);
    }
  }
  return def;
}

// With RUDDER_FUZZ_LAST_INPUT=<file>, each input is written there before it runs, so an input
// that hangs or exhausts memory can be recovered.
void Run(const std::string& input) {
  static const char* last = std::getenv("RUDDER_FUZZ_LAST_INPUT");
  if (last != nullptr) std::ofstream(last, std::ios::binary | std::ios::trunc) << input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t iterations = Flag(argc, argv, "iterations", 20000);
  if (const char* env = std::getenv("RUDDER_FUZZ_ITERATIONS")) {
    iterations = std::strtoull(env, nullptr, 10);
  }
  std::mt19937_64 rng(Flag(argc, argv, "seed", 1));
  size_t max_len = Flag(argc, argv, "max_len", 1024);

  std::vector<std::string> seeds;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--", 2) == 0) continue;
    std::filesystem::path p(argv[i]);
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::directory_iterator(p)) files.push_back(e.path());
    } else {
      files.push_back(p);
    }
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      seeds.push_back(ss.str());
    }
  }
  if (seeds.empty()) seeds.push_back("{}");
  for (const std::string& s : seeds) Run(s);

  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % (n == 0 ? 1 : n)); };
  for (uint64_t it = 0; it < iterations; ++it) {
    std::string s = seeds[pick(seeds.size())];
    int edits = 1 + static_cast<int>(pick(4));
    for (int e = 0; e < edits; ++e) {
      switch (pick(5)) {
        case 0:  // flip a byte
          if (!s.empty()) s[pick(s.size())] = static_cast<char>(rng());
          break;
        case 1:  // insert a token
          s.insert(pick(s.size() + 1), kTokens[pick(sizeof(kTokens) / sizeof(kTokens[0]))]);
          break;
        case 2: {  // delete a range
          if (s.empty()) break;
          size_t at = pick(s.size());
          s.erase(at, 1 + pick(8));
          break;
        }
        case 3: {  // splice another seed's piece
          const std::string& o = seeds[pick(seeds.size())];
          if (o.empty()) break;
          size_t from = pick(o.size());
          s.insert(pick(s.size() + 1), o.substr(from, 1 + pick(32)));
          break;
        }
        default: {  // duplicate a piece (deepens nesting)
          if (s.empty()) break;
          size_t from = pick(s.size());
          std::string piece = s.substr(from, 1 + pick(16));
          s.insert(pick(s.size() + 1), piece);
        }
      }
    }
    if (s.size() > max_len) s.resize(max_len);
    Run(s);
  }
  std::printf("fuzz: %zu seeds and %llu mutations ran clean\n", seeds.size(),
              static_cast<unsigned long long>(iterations));
  return 0;
}
