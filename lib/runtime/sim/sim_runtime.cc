#include "lib/runtime/sim/sim_runtime.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "lib/api/resource/quantity.h"
#include "lib/base/mutex.h"
#include "lib/base/status_macros.h"
#include "lib/runtime/internal/names_image_service.h"

namespace rudder::runtime::sim {
namespace {

constexpr int kSigtermExit = 143;
constexpr int kSigkillExit = 137;

int64_t Nanos(absl::Time t) { return absl::ToUnixNanos(t); }

}  // namespace

const ContainerScript& Script::For(const std::string& name) const {
  for (const auto& [n, s] : containers) {
    if (n == name) return s;
  }
  return any;
}

absl::StatusOr<Script> ParseScript(const std::string& text) {
  Script script;
  for (absl::string_view clause : absl::StrSplit(text, ';', absl::SkipWhitespace())) {
    std::pair<absl::string_view, absl::string_view> nk =
        absl::StrSplit(clause, absl::MaxSplits(':', 1));
    std::string name(absl::StripAsciiWhitespace(nk.first));
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("script clause \"", clause, "\": missing container name"));
    }
    ContainerScript cs;
    for (absl::string_view kv : absl::StrSplit(nk.second, ' ', absl::SkipWhitespace())) {
      std::pair<absl::string_view, absl::string_view> p =
          absl::StrSplit(kv, absl::MaxSplits('=', 1));
      std::string key(p.first), value(p.second);
      auto bad = [&]() {
        return absl::InvalidArgumentError(
            absl::StrCat("script clause \"", name, "\": bad value for ", key, ": \"", value, "\""));
      };
      auto dur = [&](std::optional<absl::Duration>* out) -> absl::Status {
        absl::Duration d;
        if (!absl::ParseDuration(value, &d) || d < absl::ZeroDuration()) return bad();
        *out = d;
        return absl::OkStatus();
      };
      absl::Status st;
      if (key == "exit") {
        st = dur(&cs.exit_after);
      } else if (key == "code") {
        if (!absl::SimpleAtoi(value, &cs.exit_code)) return bad();
      } else if (key == "attempts") {
        if (!absl::SimpleAtoi(value, &cs.exiting_attempts) || cs.exiting_attempts < 0) return bad();
      } else if (key == "exec-fail-after") {
        st = dur(&cs.exec_fail_after);
      } else if (key == "exec-ok-after") {
        st = dur(&cs.exec_ok_after);
      } else if (key == "term") {
        std::optional<absl::Duration> d;
        st = dur(&d);
        if (d) cs.term = *d;
      } else if (key == "cpu") {
        if (!absl::SimpleAtoi(value, &cs.cpu_millicores) || cs.cpu_millicores < 0) return bad();
      } else if (key == "memory") {
        absl::StatusOr<api::Quantity> q = api::Quantity::Parse(value);
        if (!q.ok() || q->Value() < 0) return bad();
        cs.memory_bytes = q->Value();
      } else if (key == "disk") {
        absl::StatusOr<api::Quantity> q = api::Quantity::Parse(value);
        if (!q.ok() || q->Value() < 0) return bad();
        cs.disk_bytes = q->Value();
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("script clause \"", name, "\": unknown key \"", key, "\""));
      }
      if (!st.ok()) return st;
    }
    if (name == "*") {
      script.any = cs;
    } else {
      script.containers.emplace_back(std::move(name), cs);
    }
  }
  return script;
}

namespace {

constexpr uint64_t kImageSize = 10u << 20;  // what every simulated image reports

struct Sandbox {
  v1::PodSandboxMetadata metadata;
  std::string key;  // "ns/name"
  v1::PodSandboxState state = v1::SANDBOX_READY;
  int64_t created_at = 0;
  std::string ip;
  std::shared_ptr<const Script> script;
  google::protobuf::Map<std::string, std::string> labels;
};

struct Ctr {
  std::string sandbox_id;
  std::string name;
  uint32_t attempt = 0;
  std::string image;
  v1::ContainerState state = v1::CONTAINER_CREATED;
  absl::Time created, started = absl::InfinitePast(), finished = absl::InfinitePast();
  int32_t exit_code = 0;
  const ContainerScript* script = nullptr;  // owned by the sandbox's Script
  std::shared_ptr<const Script> script_owner;
  google::protobuf::Map<std::string, std::string> labels;
};

class SimRuntimeImpl : public SimRuntime {
 public:
  explicit SimRuntimeImpl(const SimOptions& o)
      : clock_(o.clock ? o.clock : Clock::Real()),
        default_text_(o.default_script),
        script_for_(o.script_for),
        ip_prefix_(o.ip_prefix),
        images_("sim", kImageSize, o.images) {}

  // ---- test controls
  void SetPullError(const std::string& image, absl::Status error) override {
    images_.SetPullError(image, std::move(error));
  }
  void SetExecExitCode(const std::string& pod_name, const std::string& container,
                       const std::string& command, int exit_code) override {
    MutexLock l(&mu_);
    std::string k = absl::StrCat(pod_name, "/", container, "/", command);
    if (exit_code < 0) {
      exec_overrides_.erase(k);
    } else {
      exec_overrides_[k] = exit_code;
    }
  }
  std::vector<std::string> CallLog() const override {
    MutexLock l(&mu_);
    return log_;
  }
  void EnableCallLog(bool on) override {
    MutexLock l(&mu_);
    log_on_ = on;
  }
  size_t SandboxCount() const override {
    MutexLock l(&mu_);
    return sandboxes_.size();
  }
  size_t ContainerCount() const override {
    MutexLock l(&mu_);
    return containers_.size();
  }

  // ---- RuntimeService
  absl::StatusOr<v1::VersionResponse> Version(const v1::VersionRequest&, absl::Duration) override {
    v1::VersionResponse r;
    r.set_version("0.1.0");
    r.set_runtime_name("rudder-sim");
    r.set_runtime_version("0.1.0");
    r.set_runtime_api_version("v1");
    return r;
  }

  absl::StatusOr<v1::RunPodSandboxResponse> RunPodSandbox(const v1::RunPodSandboxRequest& req,
                                                          absl::Duration) override {
    const v1::PodSandboxConfig& c = req.config();
    if (c.metadata().name().empty() || c.metadata().uid().empty()) {
      return absl::InvalidArgumentError("sandbox config: metadata.name and metadata.uid required");
    }
    std::shared_ptr<const Script> script;
    std::string text = script_for_ ? script_for_(c) : std::string();
    if (text.empty()) {
      auto it = c.annotations().find(kScriptAnnotation);
      text = it != c.annotations().end() ? it->second : default_text_;
    }
    MutexLock l(&mu_);
    RUDDER_ASSIGN_OR_RETURN(script, ScriptFor(text));
    for (const auto& [id, sb] : sandboxes_) {
      if (sb.metadata.uid() == c.metadata().uid() &&
          sb.metadata.attempt() == c.metadata().attempt()) {
        return absl::AlreadyExistsError(absl::StrCat("sandbox for pod uid ", c.metadata().uid(),
                                                     " attempt ", c.metadata().attempt(),
                                                     " exists: ", id));
      }
    }
    std::string id = absl::StrCat("sb", ++next_id_);
    Sandbox& sb = sandboxes_[id];
    sb.metadata = c.metadata();
    sb.key = absl::StrCat(c.metadata().namespace_(), "/", c.metadata().name());
    sb.created_at = Nanos(clock_->Now());
    uint32_t n = next_ip_++;
    sb.ip = absl::StrCat(ip_prefix_, (n >> 8) & 0xff, ".", n & 0xff);
    sb.script = std::move(script);
    sb.labels = c.labels();
    Log(absl::StrCat("RunPodSandbox ", sb.key));
    v1::RunPodSandboxResponse r;
    r.set_pod_sandbox_id(id);
    return r;
  }

  absl::StatusOr<v1::StopPodSandboxResponse> StopPodSandbox(const v1::StopPodSandboxRequest& req,
                                                            absl::Duration) override {
    MutexLock l(&mu_);
    auto it = sandboxes_.find(req.pod_sandbox_id());
    if (it == sandboxes_.end()) return v1::StopPodSandboxResponse();
    absl::Time now = clock_->Now();
    for (auto& [id, c] : containers_) {
      if (c.sandbox_id != req.pod_sandbox_id()) continue;
      Refresh(c, now);
      if (c.state == v1::CONTAINER_RUNNING) Finish(c, now, kSigkillExit);
    }
    it->second.state = v1::SANDBOX_NOTREADY;
    Log(absl::StrCat("StopPodSandbox ", it->second.key));
    return v1::StopPodSandboxResponse();
  }

  absl::StatusOr<v1::RemovePodSandboxResponse> RemovePodSandbox(
      const v1::RemovePodSandboxRequest& req, absl::Duration) override {
    MutexLock l(&mu_);
    auto it = sandboxes_.find(req.pod_sandbox_id());
    if (it == sandboxes_.end()) return v1::RemovePodSandboxResponse();
    for (auto c = containers_.begin(); c != containers_.end();) {
      if (c->second.sandbox_id == req.pod_sandbox_id()) {
        containers_.erase(c++);
      } else {
        ++c;
      }
    }
    Log(absl::StrCat("RemovePodSandbox ", it->second.key));
    sandboxes_.erase(it);
    return v1::RemovePodSandboxResponse();
  }

  absl::StatusOr<v1::PodSandboxStatusResponse> PodSandboxStatus(
      const v1::PodSandboxStatusRequest& req, absl::Duration) override {
    MutexLock l(&mu_);
    auto it = sandboxes_.find(req.pod_sandbox_id());
    if (it == sandboxes_.end()) {
      return absl::NotFoundError(absl::StrCat("sandbox ", req.pod_sandbox_id(), " not found"));
    }
    v1::PodSandboxStatusResponse r;
    v1::PodSandboxStatus* s = r.mutable_status();
    s->set_id(it->first);
    *s->mutable_metadata() = it->second.metadata;
    s->set_state(it->second.state);
    s->set_created_at(it->second.created_at);
    s->mutable_network()->set_ip(it->second.ip);
    *s->mutable_labels() = it->second.labels;
    return r;
  }

  absl::StatusOr<v1::ListPodSandboxResponse> ListPodSandbox(const v1::ListPodSandboxRequest& req,
                                                            absl::Duration) override {
    MutexLock l(&mu_);
    v1::ListPodSandboxResponse r;
    const v1::PodSandboxFilter& f = req.filter();
    for (const auto& [id, sb] : sandboxes_) {
      if (!f.id().empty() && f.id() != id) continue;
      if (f.has_state() && f.state().state() != sb.state) continue;
      if (!LabelsMatch(sb.labels, f.label_selector())) continue;
      v1::PodSandbox* p = r.add_items();
      p->set_id(id);
      *p->mutable_metadata() = sb.metadata;
      p->set_state(sb.state);
      p->set_created_at(sb.created_at);
      *p->mutable_labels() = sb.labels;
    }
    return r;
  }

  absl::StatusOr<v1::CreateContainerResponse> CreateContainer(const v1::CreateContainerRequest& req,
                                                              absl::Duration) override {
    const v1::ContainerConfig& c = req.config();
    if (c.metadata().name().empty()) {
      return absl::InvalidArgumentError("container config: metadata.name required");
    }
    MutexLock l(&mu_);
    auto sb = sandboxes_.find(req.pod_sandbox_id());
    if (sb == sandboxes_.end()) {
      return absl::NotFoundError(absl::StrCat("sandbox ", req.pod_sandbox_id(), " not found"));
    }
    if (sb->second.state != v1::SANDBOX_READY) {
      return absl::FailedPreconditionError("sandbox is not ready");
    }
    for (const auto& [id, x] : containers_) {
      if (x.sandbox_id == req.pod_sandbox_id() && x.name == c.metadata().name() &&
          x.attempt == c.metadata().attempt()) {
        return absl::AlreadyExistsError(
            absl::StrCat("container ", c.metadata().name(), " attempt ", x.attempt, " exists"));
      }
    }
    std::string id = absl::StrCat("c", ++next_id_);
    Ctr& x = containers_[id];
    x.sandbox_id = req.pod_sandbox_id();
    x.name = c.metadata().name();
    x.attempt = c.metadata().attempt();
    x.image = c.image().image();
    x.created = clock_->Now();
    x.script_owner = sb->second.script;
    x.script = &sb->second.script->For(x.name);
    x.labels = c.labels();
    v1::CreateContainerResponse r;
    r.set_container_id(id);
    return r;
  }

  absl::StatusOr<v1::StartContainerResponse> StartContainer(const v1::StartContainerRequest& req,
                                                            absl::Duration) override {
    MutexLock l(&mu_);
    RUDDER_ASSIGN_OR_RETURN(Ctr * c, Find(req.container_id()));
    if (c->state != v1::CONTAINER_CREATED) {
      return absl::FailedPreconditionError(
          absl::StrCat("container ", req.container_id(), " is not in the created state"));
    }
    c->state = v1::CONTAINER_RUNNING;
    c->started = clock_->Now();
    Log(absl::StrCat("StartContainer ", KeyOf(*c)));
    return v1::StartContainerResponse();
  }

  absl::StatusOr<v1::StopContainerResponse> StopContainer(const v1::StopContainerRequest& req,
                                                          absl::Duration) override {
    MutexLock l(&mu_);
    auto it = containers_.find(req.container_id());
    if (it == containers_.end()) return v1::StopContainerResponse();
    Ctr& c = it->second;
    absl::Time now = clock_->Now();
    Refresh(c, now);
    Log(absl::StrCat("StopContainer ", KeyOf(c), " ", req.timeout()));
    if (c.state == v1::CONTAINER_RUNNING) {
      bool killed = c.script->term > absl::Seconds(req.timeout());
      Finish(c, now, killed ? kSigkillExit : kSigtermExit);
    } else if (c.state == v1::CONTAINER_CREATED) {
      c.state = v1::CONTAINER_EXITED;
      c.finished = now;
    }
    return v1::StopContainerResponse();
  }

  absl::StatusOr<v1::RemoveContainerResponse> RemoveContainer(const v1::RemoveContainerRequest& req,
                                                              absl::Duration) override {
    MutexLock l(&mu_);
    containers_.erase(req.container_id());
    return v1::RemoveContainerResponse();
  }

  absl::StatusOr<v1::ListContainersResponse> ListContainers(const v1::ListContainersRequest& req,
                                                            absl::Duration) override {
    MutexLock l(&mu_);
    absl::Time now = clock_->Now();
    v1::ListContainersResponse r;
    const v1::ContainerFilter& f = req.filter();
    for (auto& [id, c] : containers_) {
      if (!f.id().empty() && f.id() != id) continue;
      if (!f.pod_sandbox_id().empty() && f.pod_sandbox_id() != c.sandbox_id) continue;
      Refresh(c, now);
      if (f.has_state() && f.state().state() != c.state) continue;
      if (!LabelsMatch(c.labels, f.label_selector())) continue;
      v1::Container* o = r.add_containers();
      o->set_id(id);
      o->set_pod_sandbox_id(c.sandbox_id);
      o->mutable_metadata()->set_name(c.name);
      o->mutable_metadata()->set_attempt(c.attempt);
      o->mutable_image()->set_image(c.image);
      o->set_image_ref(c.image);
      o->set_state(c.state);
      o->set_created_at(Nanos(c.created));
      *o->mutable_labels() = c.labels;
    }
    return r;
  }

  absl::StatusOr<v1::ContainerStatusResponse> ContainerStatus(const v1::ContainerStatusRequest& req,
                                                              absl::Duration) override {
    MutexLock l(&mu_);
    RUDDER_ASSIGN_OR_RETURN(Ctr * c, Find(req.container_id()));
    Refresh(*c, clock_->Now());
    v1::ContainerStatusResponse r;
    v1::ContainerStatus* s = r.mutable_status();
    s->set_id(req.container_id());
    s->mutable_metadata()->set_name(c->name);
    s->mutable_metadata()->set_attempt(c->attempt);
    s->set_state(c->state);
    s->set_created_at(Nanos(c->created));
    if (c->started != absl::InfinitePast()) s->set_started_at(Nanos(c->started));
    if (c->state == v1::CONTAINER_EXITED) {
      s->set_finished_at(Nanos(c->finished));
      s->set_exit_code(c->exit_code);
      s->set_reason(c->exit_code == 0 ? "Completed" : "Error");
    }
    s->mutable_image()->set_image(c->image);
    s->set_image_ref(c->image);
    *s->mutable_labels() = c->labels;
    return r;
  }

  absl::StatusOr<v1::ExecSyncResponse> ExecSync(const v1::ExecSyncRequest& req,
                                                absl::Duration) override {
    if (req.cmd().empty()) return absl::InvalidArgumentError("exec: empty command");
    MutexLock l(&mu_);
    RUDDER_ASSIGN_OR_RETURN(Ctr * c, Find(req.container_id()));
    absl::Time now = clock_->Now();
    Refresh(*c, now);
    if (c->state != v1::CONTAINER_RUNNING) {
      return absl::FailedPreconditionError(
          absl::StrCat("container ", req.container_id(), " is not running"));
    }
    Log(absl::StrCat("ExecSync ", KeyOf(*c), " ", req.cmd(0)));
    v1::ExecSyncResponse r;
    auto sb = sandboxes_.find(c->sandbox_id);
    auto ov = exec_overrides_.find(
        absl::StrCat(sb->second.metadata.name(), "/", c->name, "/", req.cmd(0)));
    if (ov != exec_overrides_.end()) {
      r.set_exit_code(ov->second);
      return r;
    }
    absl::Duration ran = now - c->started;
    int code = 0;
    if (c->script->exec_fail_after && ran >= *c->script->exec_fail_after) code = 1;
    if (c->script->exec_ok_after && ran < *c->script->exec_ok_after) code = 1;
    r.set_exit_code(code);
    return r;
  }

  absl::StatusOr<v1::ContainerStatsResponse> ContainerStats(const v1::ContainerStatsRequest& req,
                                                            absl::Duration) override {
    MutexLock l(&mu_);
    auto it = containers_.find(req.container_id());
    if (it == containers_.end()) {
      return absl::NotFoundError(absl::StrCat("container ", req.container_id(), " not found"));
    }
    v1::ContainerStatsResponse r;
    Stats(it->first, it->second, clock_->Now(), r.mutable_stats());
    return r;
  }

  absl::StatusOr<v1::ListContainerStatsResponse> ListContainerStats(
      const v1::ListContainerStatsRequest& req, absl::Duration) override {
    MutexLock l(&mu_);
    absl::Time now = clock_->Now();
    v1::ListContainerStatsResponse r;
    const v1::ContainerStatsFilter& f = req.filter();
    for (auto& [id, c] : containers_) {
      if (!f.id().empty() && f.id() != id) continue;
      if (!f.pod_sandbox_id().empty() && f.pod_sandbox_id() != c.sandbox_id) continue;
      if (!LabelsMatch(c.labels, f.label_selector())) continue;
      Stats(id, c, now, r.add_stats());
    }
    return r;
  }

  absl::StatusOr<v1::ReopenContainerLogResponse> ReopenContainerLog(
      const v1::ReopenContainerLogRequest& req, absl::Duration) override {
    MutexLock l(&mu_);
    RUDDER_ASSIGN_OR_RETURN(Ctr * c, Find(req.container_id()));
    Refresh(*c, clock_->Now());
    if (c->state != v1::CONTAINER_RUNNING) {
      return absl::FailedPreconditionError("container is not running");
    }
    return v1::ReopenContainerLogResponse();
  }

  absl::StatusOr<v1::StatusResponse> Status(const v1::StatusRequest&, absl::Duration) override {
    v1::StatusResponse r;
    for (const char* t : {"RuntimeReady", "NetworkReady"}) {
      v1::RuntimeCondition* c = r.mutable_status()->add_conditions();
      c->set_type(t);
      c->set_status(true);
    }
    return r;
  }

  // ---- ImageService
  absl::StatusOr<v1::ListImagesResponse> ListImages(const v1::ListImagesRequest& req,
                                                    absl::Duration) override {
    return images_.ListImages(req);
  }
  absl::StatusOr<v1::ImageStatusResponse> ImageStatus(const v1::ImageStatusRequest& req,
                                                      absl::Duration) override {
    return images_.ImageStatus(req);
  }
  absl::StatusOr<v1::PullImageResponse> PullImage(const v1::PullImageRequest& req,
                                                  absl::Duration) override {
    {
      MutexLock l(&mu_);
      Log(absl::StrCat("PullImage ", req.image().image()));
    }
    return images_.PullImage(req);
  }
  absl::StatusOr<v1::RemoveImageResponse> RemoveImage(const v1::RemoveImageRequest& req,
                                                      absl::Duration) override {
    return images_.RemoveImage(req);
  }
  absl::StatusOr<v1::ImageFsInfoResponse> ImageFsInfo(const v1::ImageFsInfoRequest&,
                                                      absl::Duration) override {
    MutexLock l(&mu_);
    v1::ImageFsInfoResponse r;
    v1::FilesystemUsage* u = r.add_image_filesystems();
    u->set_timestamp(Nanos(clock_->Now()));
    u->mutable_fs_id()->set_mountpoint("/sim/images");
    u->mutable_used_bytes()->set_value(images_.Count() * kImageSize);
    u->mutable_inodes_used()->set_value(images_.Count());
    return r;
  }

 private:
  void Log(std::string s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (log_on_) log_.push_back(std::move(s));
  }
  absl::StatusOr<std::shared_ptr<const Script>> ScriptFor(const std::string& text)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = scripts_.find(text);
    if (it != scripts_.end()) return it->second;
    RUDDER_ASSIGN_OR_RETURN(Script s, ParseScript(text));
    auto p = std::make_shared<const Script>(std::move(s));
    scripts_.emplace(text, p);
    return p;
  }
  absl::StatusOr<Ctr*> Find(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = containers_.find(id);
    if (it == containers_.end()) {
      return absl::NotFoundError(absl::StrCat("container ", id, " not found"));
    }
    return &it->second;
  }
  std::string KeyOf(const Ctr& c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto sb = sandboxes_.find(c.sandbox_id);
    return absl::StrCat(sb == sandboxes_.end() ? "?" : sb->second.key, "/", c.name);
  }
  // Applies the script: a running container whose time is up has exited.
  static void Refresh(Ctr& c, absl::Time now) {
    if (c.state != v1::CONTAINER_RUNNING || !c.script->exit_after) return;
    if (c.script->exiting_attempts >= 0 &&
        c.attempt >= static_cast<uint32_t>(c.script->exiting_attempts)) {
      return;
    }
    absl::Time end = c.started + *c.script->exit_after;
    if (now >= end) {
      c.state = v1::CONTAINER_EXITED;
      c.finished = end;
      c.exit_code = c.script->exit_code;
    }
  }
  static void Finish(Ctr& c, absl::Time now, int code) {
    c.state = v1::CONTAINER_EXITED;
    c.finished = now;
    c.exit_code = code;
  }
  static bool LabelsMatch(const google::protobuf::Map<std::string, std::string>& labels,
                          const google::protobuf::Map<std::string, std::string>& selector) {
    for (const auto& [k, v] : selector) {
      auto it = labels.find(k);
      if (it == labels.end() || it->second != v) return false;
    }
    return true;
  }
  void Stats(const std::string& id, Ctr& c, absl::Time now, v1::ContainerStats* s)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Refresh(c, now);
    s->mutable_attributes()->set_id(id);
    s->mutable_attributes()->mutable_metadata()->set_name(c.name);
    s->mutable_attributes()->mutable_metadata()->set_attempt(c.attempt);
    *s->mutable_attributes()->mutable_labels() = c.labels;
    bool running = c.state == v1::CONTAINER_RUNNING;
    int64_t ts = Nanos(now);
    s->mutable_cpu()->set_timestamp(ts);
    absl::Duration ran = absl::ZeroDuration();
    if (c.started != absl::InfinitePast()) ran = (running ? now : c.finished) - c.started;
    s->mutable_cpu()->mutable_usage_core_nano_seconds()->set_value(
        static_cast<uint64_t>(absl::ToDoubleSeconds(ran) * c.script->cpu_millicores * 1e6));
    s->mutable_cpu()->mutable_usage_nano_cores()->set_value(
        running ? c.script->cpu_millicores * 1000000 : 0);
    s->mutable_memory()->set_timestamp(ts);
    uint64_t mem = running ? c.script->memory_bytes : 0;
    s->mutable_memory()->mutable_working_set_bytes()->set_value(mem);
    s->mutable_memory()->mutable_usage_bytes()->set_value(mem);
    s->mutable_writable_layer()->set_timestamp(ts);
    s->mutable_writable_layer()->mutable_used_bytes()->set_value(running ? c.script->disk_bytes
                                                                         : 0);
  }
  Clock* const clock_;
  const std::string default_text_;
  const std::function<std::string(const v1::PodSandboxConfig&)> script_for_;
  const std::string ip_prefix_;
  runtime::internal::NamesImageService images_;
  mutable Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t next_ip_ ABSL_GUARDED_BY(mu_) = 2;
  absl::flat_hash_map<std::string, Sandbox> sandboxes_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Ctr> containers_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> exec_overrides_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<const Script>> scripts_ ABSL_GUARDED_BY(mu_);
  bool log_on_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::string> log_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<SimRuntime> NewSimRuntime(const SimOptions& options) {
  return std::make_unique<SimRuntimeImpl>(options);
}

}  // namespace rudder::runtime::sim
