#include "lib/runtime/logs/pod_log_stream.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace rudder::runtime::logs {
namespace {

class FileLogStream : public apiserver::PodLogStream {
 public:
  FileLogStream(std::string path, ReadOptions o) : path_(std::move(path)), o_(std::move(o)) {}

  absl::Status Stream(const std::function<bool(std::string_view)>& sink,
                      const std::function<bool()>& cancelled) override {
    ReadOptions o = o_;
    const std::function<bool()>& running = o_.still_running;
    if (o.follow) {
      o.still_running = [&] { return !cancelled() && (running == nullptr || running()); };
    }
    return ReadLogs(path_, o, [&](std::string_view c) { return !cancelled() && sink(c); });
  }

 private:
  const std::string path_;
  const ReadOptions o_;
};

}  // namespace

ReadOptions ToReadOptions(const apiserver::PodLogOptions& o, Clock* clock,
                          std::function<bool()> still_running) {
  if (clock == nullptr) clock = Clock::Real();
  ReadOptions r;
  r.tail_lines = o.tail_lines;
  r.limit_bytes = o.limit_bytes;
  r.timestamps = o.timestamps;
  if (o.since_time) r.since = *o.since_time;
  if (o.since_seconds) r.since = clock->Now() - absl::Seconds(*o.since_seconds);
  r.follow = o.follow;
  r.still_running = std::move(still_running);
  r.clock = clock;
  return r;
}

absl::StatusOr<std::unique_ptr<apiserver::PodLogStream>> OpenFileLogStream(
    const std::string& path, const apiserver::PodLogOptions& o, Clock* clock,
    std::function<bool()> still_running) {
  if (RotatedFiles(path).empty()) {
    return absl::NotFoundError(absl::StrCat("log file ", path, " not found"));
  }
  if (o.follow && still_running == nullptr) still_running = [] { return true; };
  return std::unique_ptr<apiserver::PodLogStream>(
      new FileLogStream(path, ToReadOptions(o, clock, std::move(still_running))));
}

}  // namespace rudder::runtime::logs
