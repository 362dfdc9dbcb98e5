// A bounded stand-in for libFuzzer's main() for the patch fuzz target.
//
// Replays the files given as arguments (or the files of directories given), then runs
// --iterations=N (default 20000) generated inputs from a fixed --seed=N (default 1): random
// JSON documents and patches over Kubernetes-like keys and every patch directive, and byte
// mutations of them. Deterministic: the same seed gives the same inputs.
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

const char* const kKeys[] = {"metadata",
                             "spec",
                             "template",
                             "containers",
                             "initContainers",
                             "name",
                             "image",
                             "labels",
                             "finalizers",
                             "ports",
                             "containerPort",
                             "env",
                             "value",
                             "strategy",
                             "type",
                             "rollingUpdate",
                             "volumes",
                             "selector",
                             "tolerations",
                             "replicas",
                             "$patch",
                             "$retainKeys",
                             "$setElementOrder/containers",
                             "$setElementOrder/finalizers",
                             "$deleteFromPrimitiveList/finalizers",
                             "$deleteFromPrimitiveList",
                             "a",
                             ""};
const char* const kStrings[] = {"c", "d", "delete", "replace", "merge", "x", "", "~", "/"};
const char* const kOps[] = {"add", "remove", "replace", "move", "copy", "test", "bogus"};

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}

  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  template <typename T, size_t N>
  const T& Pick(const T (&a)[N]) {
    return a[Pick(N)];
  }

  std::string Quote(const std::string& s) { return "\"" + s + "\""; }

  std::string Value(int depth) {
    size_t k = depth <= 0 ? Pick(4) : Pick(9);
    switch (k) {
      case 0:
        return clean_ ? "7" : "null";
      case 1:
        return std::to_string(static_cast<int>(Pick(5)) - 1);
      case 2:
        return Quote(Pick(kStrings));
      case 3:
        return Pick(2) ? "true" : "1.5";
      case 4:
      case 5:
      case 6:
        return Object(depth - 1);
      default: {
        std::string out = "[";
        size_t n = Pick(4);
        bool objects = Pick(2);
        for (size_t i = 0; i < n; ++i) {
          if (i) out += ",";
          if (objects) {
            std::string o = Object(depth - 1);
            // Mostly give elements a merge key.
            if (Pick(4) != 0) {
              std::string key = Pick(2) ? "\"name\":" + Quote(Pick(kStrings))
                                        : "\"containerPort\":" + std::to_string(Pick(3));
              o = o == "{}" ? "{" + key + "}" : "{" + key + "," + o.substr(1);
            }
            out += o;
          } else {
            out += Pick(3) ? Quote(Pick(kStrings)) : Value(0);
          }
        }
        return out + "]";
      }
    }
  }

  std::string Object(int depth) {
    std::string out = "{";
    size_t n = Pick(5);
    for (size_t i = 0; i < n; ++i) {
      if (i) out += ",";
      out += Quote(clean_ ? kKeys[Pick(20)] : Pick(kKeys)) + ":" + Value(depth);
    }
    return out + "}";
  }

  std::string Pointer() {
    std::string p;
    size_t n = Pick(4);
    for (size_t i = 0; i < n; ++i) {
      size_t k = Pick(6);
      p += "/";
      if (k == 0) {
        p += std::to_string(Pick(3));
      } else if (k == 1) {
        p += Pick(2) ? "-" : "~1~0";
      } else {
        p += Pick(kKeys);
      }
    }
    return p;
  }

  std::string JsonPatch() {
    std::string out = "[";
    size_t n = Pick(5);
    for (size_t i = 0; i < n; ++i) {
      if (i) out += ",";
      out += "{\"op\":" + Quote(Pick(kOps)) + ",\"path\":" + Quote(Pointer());
      if (Pick(3)) out += ",\"from\":" + Quote(Pointer());
      if (Pick(3)) out += ",\"value\":" + Value(2);
      out += "}";
    }
    return out + "]";
  }

  std::string Input() {
    std::string in(1, static_cast<char>(Pick(256)));
    const int mode = static_cast<unsigned char>(in[0]) % 5;
    // Some inputs without directives and nulls, where two-way patches must round-trip.
    clean_ = Pick(3) == 0;
    std::string doc = Object(4);
    in += doc + "\n" + (mode == 0 ? JsonPatch() : Pick(3) ? Object(4) : Mutate(doc));
    in += "\n" + Object(3);
    if (!clean_ && Pick(4) == 0) in = Mutate(in);
    return in;
  }

  std::string Mutate(std::string s) {
    size_t n = 1 + Pick(4);
    for (size_t i = 0; i < n && !s.empty(); ++i) {
      size_t at = Pick(s.size());
      switch (Pick(4)) {
        case 0:
          s.erase(at, 1);
          break;
        case 1:
          s.insert(at, 1, "{}[]\",:n0"[Pick(9)]);
          break;
        case 2:
          s[at] = static_cast<char>(Pick(256));
          break;
        default:
          s.insert(at, Quote(Pick(kKeys)) + ":");
      }
    }
    return s;
  }

 private:
  std::mt19937_64 rng_;
  bool clean_ = false;
};

void RunFile(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string data = ss.str();
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
}

}  // namespace

int main(int argc, char** argv) {
  long long iterations = 20000, seed = 1;
  if (const char* env = std::getenv("RUDDER_FUZZ_ITERATIONS")) iterations = std::atoll(env);
  int replayed = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--iterations=", 0) == 0) {
      iterations = std::atoll(arg.c_str() + 13);
    } else if (arg.rfind("--seed=", 0) == 0) {
      seed = std::atoll(arg.c_str() + 7);
    } else if (std::filesystem::is_directory(arg)) {
      for (const auto& e : std::filesystem::directory_iterator(arg)) {
        RunFile(e.path());
        ++replayed;
      }
    } else {
      RunFile(arg);
      ++replayed;
    }
  }
  Gen gen(static_cast<uint64_t>(seed));
  for (long long i = 0; i < iterations; ++i) {
    std::string in = gen.Input();
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(in.data()), in.size());
  }
  std::printf("patch fuzzer: replayed %d files, ran %lld generated inputs (seed %lld)\n", replayed,
              iterations, seed);
  return 0;
}
