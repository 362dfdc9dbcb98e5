// Container log writing and reading: what a chatty container and `kubectl logs` cost.
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/runtime/logs/logs.h"

namespace rudder::runtime::logs {
namespace {

std::string TempDir() {
  std::string t =
      absl::StrCat(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp", "/logbenchXXXXXX");
  return mkdtemp(t.data());
}

// A container writing 100-byte lines, in 4 KiB reads as the runtime's pump gets them.
void BM_WriteLines(benchmark::State& state) {
  std::string path = TempDir() + "/0.log";
  LogWriterOptions o;
  o.max_bytes = 64 << 20;
  o.max_files = 2;
  auto w = LogWriter::Open(path, o);
  std::string chunk;
  while (chunk.size() + 100 <= 4096) chunk += std::string(99, 'x') + "\n";
  const int64_t lines = static_cast<int64_t>(chunk.size() / 100);
  for (auto _ : state) {
    if (!(*w)->Write(cri::LogStream::kStdout, chunk).ok()) state.SkipWithError("write");
  }
  state.SetItemsProcessed(state.iterations() * lines);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(chunk.size()));
  unlink(path.c_str());
  unlink((path + ".1").c_str());
}
BENCHMARK(BM_WriteLines);

// Reading a 100,000-line log: all of it, and its last 100 lines.
void BM_Read(benchmark::State& state) {
  static const std::string path = [] {
    std::string p = TempDir() + "/0.log";
    LogWriterOptions o;
    o.max_bytes = 0;
    auto w = LogWriter::Open(p, o);
    for (int i = 0; i < 100000; ++i) {
      (void)(*w)->Write(cri::LogStream::kStdout,
                        absl::StrCat("line ", i, " ", std::string(80, 'y'), "\n"));
    }
    return p;
  }();
  ReadOptions o;
  if (state.range(0) > 0) o.tail_lines = state.range(0);
  int64_t bytes = 0;
  for (auto _ : state) {
    absl::Status s = ReadLogs(path, o, [&](std::string_view c) {
      bytes += static_cast<int64_t>(c.size());
      return true;
    });
    if (!s.ok()) state.SkipWithError("read");
  }
  state.SetItemsProcessed(state.iterations() * (o.tail_lines ? *o.tail_lines : 100000));
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_Read)->Arg(0)->Arg(100);

}  // namespace
}  // namespace rudder::runtime::logs
