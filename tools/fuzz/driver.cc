// A stand-in for libFuzzer's main() on toolchains without it (g++).
//
// Linked with a fuzz target (LLVMFuzzerTestOneInput), it replays the seed corpus given as
// arguments (files or directories), then feeds the target random mutations of the seeds
// for a bounded number of iterations. Targets check their own invariants and abort on a
// violation, printing the input; the driver also writes that input to
// $TEST_UNDECLARED_OUTPUTS_DIR (or the current directory) as crash-<hash>.
//
// Flags (libFuzzer spellings are accepted too):
//   -dict=FILE                    tokens to splice in (libFuzzer's dictionary format)
//   --iterations=N / -runs=N      mutations to run (default 200000; env RUDDER_FUZZ_ITERATIONS)
//   --seed=N / -seed=N            PRNG seed (default 1; env RUDDER_FUZZ_SEED)
//   --max_len=N / -max_len=N      longest generated input (default 256)
//   --max_seconds=N / -max_total_time=N  stop mutating after N seconds (default 5)
// A file argument replays just that input, e.g. a crash file.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// Tokens of the grammar under test, from -dict=FILE; mutations splice them in.
std::vector<std::string> dictionary;

// Reads a libFuzzer dictionary: one token a line, `"value"` or `name="value"`, with \\, \" and
// \xNN escapes; blank lines and lines starting with # are skipped.
bool LoadDictionary(const std::string& path) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    size_t q = line.find('"');
    if (line.empty() || line[0] == '#' || q == std::string::npos) continue;
    size_t end = line.rfind('"');
    if (end <= q) continue;
    std::string tok;
    for (size_t i = q + 1; i < end; ++i) {
      if (line[i] == '\\' && i + 1 < end) {
        char c = line[++i];
        if (c == 'x' && i + 2 < end) {
          tok += static_cast<char>(std::stoi(line.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else if (c == 'n') {
          tok += '\n';
        } else if (c == 't') {
          tok += '\t';
        } else {
          tok += c;
        }
      } else {
        tok += line[i];
      }
    }
    dictionary.push_back(std::move(tok));
  }
  return true;
}

std::string current_input;  // for the abort handler

std::string OutputDir() {
  const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  return dir != nullptr ? dir : ".";
}

void OnAbort(int sig) {
  const size_t hash = std::hash<std::string>()(current_input);
  char name[64];
  std::snprintf(name, sizeof(name), "/crash-%016zx", hash);
  std::string path = OutputDir() + name;
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(current_input.data(), 1, current_input.size(), f);
    std::fclose(f);
    std::fprintf(stderr, "driver: input written to %s\n", path.c_str());
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

int RunOne(const std::string& input) {
  current_input = input;
  return LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

bool ReadFile(const std::filesystem::path& p, std::string* out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

bool ParseFlag(std::string_view arg, std::string_view name, long long* value) {
  for (std::string_view prefix : {"--", "-"}) {
    std::string key = std::string(prefix) + std::string(name) + "=";
    if (arg.substr(0, key.size()) == key) {
      *value = std::atoll(std::string(arg.substr(key.size())).c_str());
      return true;
    }
  }
  return false;
}

class Mutator {
 public:
  Mutator(uint64_t seed, size_t max_len) : rng_(seed), max_len_(max_len) {}

  std::string Mutate(std::string s, const std::vector<std::string>& pool) {
    const int rounds = 1 + static_cast<int>(Uniform(4));
    for (int i = 0; i < rounds; ++i) MutateOnce(&s, pool);
    if (s.size() > max_len_) s.resize(max_len_);
    return s;
  }

 private:
  uint64_t Uniform(uint64_t n) { return n == 0 ? 0 : rng_() % n; }

  char RandomChar() {
    static const char kInteresting[] = "0123456789.-+eEiKMGTPnumk(),=!<> \t\\/_azAZ";
    if (Uniform(8) == 0) return static_cast<char>(Uniform(256));
    return kInteresting[Uniform(sizeof(kInteresting) - 1)];
  }

  void MutateOnce(std::string* s, const std::vector<std::string>& pool) {
    const size_t pos = Uniform(s->size() + 1);
    switch (Uniform(9)) {
      case 0:  // flip a bit
        if (!s->empty()) (*s)[Uniform(s->size())] ^= static_cast<char>(1u << Uniform(8));
        break;
      case 1:  // overwrite a byte
        if (!s->empty()) (*s)[Uniform(s->size())] = RandomChar();
        break;
      case 2:  // insert a byte
        s->insert(pos, 1, RandomChar());
        break;
      case 3:  // erase a range
        if (!s->empty()) {
          size_t at = Uniform(s->size());
          s->erase(at, 1 + Uniform(std::min<size_t>(8, s->size() - at)));
        }
        break;
      case 4: {  // insert a dictionary token
        if (dictionary.empty()) break;
        std::string_view tok = dictionary[Uniform(dictionary.size())];
        if (tok.empty()) tok = std::string_view("\0", 1);
        s->insert(pos, tok.data(), tok.size());
        break;
      }
      case 5:  // duplicate a chunk
        if (!s->empty()) {
          size_t at = Uniform(s->size());
          size_t len = 1 + Uniform(std::min<size_t>(16, s->size() - at));
          s->insert(pos, s->substr(at, len));
        }
        break;
      case 6:  // splice with another input
        if (!pool.empty()) {
          const std::string& other = pool[Uniform(pool.size())];
          size_t cut = Uniform(other.size() + 1);
          *s = s->substr(0, pos) + other.substr(cut);
        }
        break;
      case 7:  // a run of digits
        s->insert(pos, std::string(1 + Uniform(30), static_cast<char>('0' + Uniform(10))));
        break;
      case 8:  // truncate
        s->resize(pos);
        break;
    }
  }

  std::mt19937_64 rng_;
  size_t max_len_;
};

}  // namespace

int main(int argc, char** argv) {
  long long iterations = 200000, seed = 1, max_len = 256, max_seconds = 5;
  if (const char* env = std::getenv("RUDDER_FUZZ_ITERATIONS")) iterations = std::atoll(env);
  if (const char* env = std::getenv("RUDDER_FUZZ_SEED")) seed = std::atoll(env);
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (ParseFlag(arg, "iterations", &iterations) || ParseFlag(arg, "runs", &iterations) ||
        ParseFlag(arg, "seed", &seed) || ParseFlag(arg, "max_len", &max_len) ||
        ParseFlag(arg, "max_seconds", &max_seconds) ||
        ParseFlag(arg, "max_total_time", &max_seconds)) {
      continue;
    }
    if (arg.rfind("-dict=", 0) == 0 || arg.rfind("--dict=", 0) == 0) {
      std::string path(arg.substr(arg.find('=') + 1));
      if (!LoadDictionary(path)) {
        std::fprintf(stderr, "driver: cannot read dictionary %s\n", path.c_str());
        return 2;
      }
      continue;
    }
    if (!arg.empty() && arg[0] == '-') {
      std::fprintf(stderr, "driver: ignoring flag %s\n", argv[i]);
      continue;
    }
    paths.emplace_back(arg);
  }
  std::signal(SIGABRT, OnAbort);
  std::signal(SIGSEGV, OnAbort);

  std::vector<std::string> seeds;
  bool only_files = !paths.empty();
  for (const std::string& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      only_files = false;
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(p)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        std::string data;
        if (ReadFile(f, &data)) seeds.push_back(std::move(data));
      }
    } else {
      std::string data;
      if (!ReadFile(p, &data)) {
        std::fprintf(stderr, "driver: cannot read %s\n", p.c_str());
        return 2;
      }
      seeds.push_back(std::move(data));
    }
  }
  for (const std::string& s : seeds) RunOne(s);
  std::fprintf(stderr, "driver: replayed %zu inputs\n", seeds.size());
  if (only_files) return 0;  // replaying given inputs only
  if (seeds.empty()) seeds.emplace_back("");

  const auto start = std::chrono::steady_clock::now();
  Mutator mutator(static_cast<uint64_t>(seed), static_cast<size_t>(max_len));
  std::vector<std::string> pool = seeds;
  std::mt19937_64 pick(static_cast<uint64_t>(seed) ^ 0x9e3779b97f4a7c15ull);
  long long done = 0;
  for (; done < iterations; ++done) {
    if ((done & 1023) == 0 &&
        std::chrono::steady_clock::now() - start > std::chrono::seconds(max_seconds)) {
      break;
    }
    std::string input = mutator.Mutate(pool[pick() % pool.size()], pool);
    RunOne(input);
    // Keep some mutants so later mutations can go deeper than one step from a seed.
    if (pool.size() < seeds.size() + 2048) {
      if (pick() % 4 == 0) pool.push_back(std::move(input));
    } else {
      pool[seeds.size() + pick() % 2048] = std::move(input);
    }
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  std::fprintf(stderr, "driver: %lld mutations (seed %lld) in %lld ms, no failures\n", done, seed,
               static_cast<long long>(ms));
  return 0;
}
