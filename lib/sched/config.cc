#include "lib/sched/config.h"

#include <cerrno>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/sched/node_info.h"
#include "yaml-cpp/yaml.h"

namespace rudder::sched {
namespace {

constexpr int kMaxDepth = 64;

absl::StatusOr<ConfigValue> FromYaml(const YAML::Node& n, int depth) {
  if (depth > kMaxDepth) return absl::InvalidArgumentError("document nested too deeply");
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return ConfigValue();
    case YAML::NodeType::Scalar:
      return ConfigValue::String(n.Scalar());
    case YAML::NodeType::Sequence: {
      ConfigValue v = ConfigValue::List();
      for (const auto& item : n) {
        absl::StatusOr<ConfigValue> c = FromYaml(item, depth + 1);
        if (!c.ok()) return c.status();
        v.mutable_list().push_back(*std::move(c));
      }
      return v;
    }
    case YAML::NodeType::Map: {
      ConfigValue v = ConfigValue::Map();
      for (const auto& kv : n) {
        if (!kv.first.IsScalar()) return absl::InvalidArgumentError("map keys must be strings");
        absl::StatusOr<ConfigValue> c = FromYaml(kv.second, depth + 1);
        if (!c.ok()) return c.status();
        v.mutable_map()[kv.first.Scalar()] = *std::move(c);
      }
      return v;
    }
  }
  return ConfigValue();
}

absl::Status FieldError(std::string_view path, std::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat(AbslView(path), ": ", AbslView(msg)));
}

absl::Status CheckKeys(const ConfigValue& v, std::string_view path,
                       std::initializer_list<std::string_view> known) {
  if (!v.is_map()) return FieldError(path, "must be an object");
  for (const auto& [k, unused] : v.map()) {
    bool ok = false;
    for (auto n : known) ok = ok || n == k;
    if (!ok)
      return FieldError(absl::StrCat(AbslView(path), path.empty() ? "" : ".", k), "unknown field");
  }
  return absl::OkStatus();
}

absl::Status ParsePluginSet(const ConfigValue& v, const std::string& path, PluginSet* out) {
  if (v.is_null()) return absl::OkStatus();
  absl::Status s = CheckKeys(v, path, {"enabled", "disabled"});
  if (!s.ok()) return s;
  for (auto [key, list] : {std::pair{"enabled", &out->enabled}, {"disabled", &out->disabled}}) {
    const ConfigValue* items = v.Find(key);
    if (!items || items->is_null()) continue;
    std::string lpath = absl::StrCat(path, ".", key);
    if (!items->is_list()) return FieldError(lpath, "must be a list");
    for (size_t i = 0; i < items->list().size(); ++i) {
      const ConfigValue& item = items->list()[i];
      std::string ipath = absl::StrCat(lpath, "[", i, "]");
      s = CheckKeys(item, ipath, {"name", "weight"});
      if (!s.ok()) return s;
      PluginRef ref;
      const ConfigValue* name = item.Find("name");
      if (!name) return FieldError(absl::StrCat(ipath, ".name"), "required");
      absl::StatusOr<std::string> n = name->AsString(absl::StrCat(ipath, ".name"));
      if (!n.ok()) return n.status();
      if (n->empty()) return FieldError(absl::StrCat(ipath, ".name"), "must not be empty");
      ref.name = *n;
      if (const ConfigValue* w = item.Find("weight"); w && !w->is_null()) {
        absl::StatusOr<int64_t> wv = w->AsInt(absl::StrCat(ipath, ".weight"));
        if (!wv.ok()) return wv.status();
        if (*wv < 0 || *wv > 100) {
          return FieldError(absl::StrCat(ipath, ".weight"), "must be in the range [0, 100]");
        }
        ref.weight = static_cast<int32_t>(*wv);
      }
      list->push_back(std::move(ref));
    }
  }
  return absl::OkStatus();
}

absl::Status ParsePercentage(const ConfigValue& v, const std::string& path, int32_t* out) {
  absl::StatusOr<int64_t> p = v.AsInt(path);
  if (!p.ok()) return p.status();
  if (*p < 0 || *p > 100) return FieldError(path, "not in valid range [0-100]");
  *out = static_cast<int32_t>(*p);
  return absl::OkStatus();
}

absl::Status ParseProfile(const ConfigValue& v, const std::string& path, ProfileConfig* out) {
  absl::Status s =
      CheckKeys(v, path, {"schedulerName", "plugins", "pluginConfig", "percentageOfNodesToScore"});
  if (!s.ok()) return s;
  if (const ConfigValue* n = v.Find("schedulerName")) {
    absl::StatusOr<std::string> name = n->AsString(path + ".schedulerName");
    if (!name.ok()) return name.status();
    out->scheduler_name = *name;
  }
  if (out->scheduler_name.empty()) return FieldError(path + ".schedulerName", "Required value");
  if (const ConfigValue* p = v.Find("percentageOfNodesToScore"); p && !p->is_null()) {
    int32_t pct;
    s = ParsePercentage(*p, path + ".percentageOfNodesToScore", &pct);
    if (!s.ok()) return s;
    out->percentage_of_nodes_to_score = pct;
  }
  if (const ConfigValue* p = v.Find("plugins"); p && !p->is_null()) {
    std::string ppath = path + ".plugins";
    Plugins& pl = out->plugins;
    std::pair<const char*, PluginSet*> points[] = {{"preEnqueue", &pl.pre_enqueue},
                                                   {"queueSort", &pl.queue_sort},
                                                   {"preFilter", &pl.pre_filter},
                                                   {"filter", &pl.filter},
                                                   {"postFilter", &pl.post_filter},
                                                   {"preScore", &pl.pre_score},
                                                   {"score", &pl.score},
                                                   {"reserve", &pl.reserve},
                                                   {"permit", &pl.permit},
                                                   {"preBind", &pl.pre_bind},
                                                   {"bind", &pl.bind},
                                                   {"postBind", &pl.post_bind},
                                                   {"multiPoint", &pl.multi_point}};
    if (!p->is_map()) return FieldError(ppath, "must be an object");
    for (const auto& [k, unused] : p->map()) {
      bool known = false;
      for (const auto& [name, set] : points) known = known || k == name;
      if (!known) return FieldError(absl::StrCat(ppath, ".", k), "unknown field");
    }
    for (const auto& [name, set] : points) {
      if (const ConfigValue* sv = p->Find(name)) {
        s = ParsePluginSet(*sv, absl::StrCat(ppath, ".", name), set);
        if (!s.ok()) return s;
      }
    }
  }
  if (const ConfigValue* pc = v.Find("pluginConfig"); pc && !pc->is_null()) {
    std::string cpath = path + ".pluginConfig";
    if (!pc->is_list()) return FieldError(cpath, "must be a list");
    for (size_t i = 0; i < pc->list().size(); ++i) {
      const ConfigValue& item = pc->list()[i];
      std::string ipath = absl::StrCat(cpath, "[", i, "]");
      s = CheckKeys(item, ipath, {"name", "args"});
      if (!s.ok()) return s;
      const ConfigValue* name = item.Find("name");
      if (!name) return FieldError(ipath + ".name", "Required value");
      absl::StatusOr<std::string> n = name->AsString(ipath + ".name");
      if (!n.ok()) return n.status();
      if (out->plugin_config.count(*n)) return FieldError(ipath + ".name", "Duplicate value");
      const ConfigValue* args = item.Find("args");
      out->plugin_config[*n] = args ? *args : ConfigValue();
    }
  }
  return absl::OkStatus();
}

}  // namespace

ConfigValue ConfigValue::Bool(bool b) { return String(b ? "true" : "false"); }
ConfigValue ConfigValue::Int(int64_t i) { return String(absl::StrCat(i)); }
ConfigValue ConfigValue::Double(double d) { return String(absl::StrCat(d)); }
ConfigValue ConfigValue::String(std::string s) {
  ConfigValue v;
  v.kind_ = Kind::kString;
  v.scalar_ = std::move(s);
  return v;
}
ConfigValue ConfigValue::List(std::vector<ConfigValue> items) {
  ConfigValue v;
  v.kind_ = Kind::kList;
  v.list_ = std::move(items);
  return v;
}
ConfigValue ConfigValue::Map(std::map<std::string, ConfigValue> items) {
  ConfigValue v;
  v.kind_ = Kind::kMap;
  v.map_ = std::move(items);
  return v;
}

absl::StatusOr<ConfigValue> ConfigValue::Parse(std::string_view text) {
  if (text.size() > (16 << 20)) return absl::InvalidArgumentError("document larger than 16 MiB");
  // yaml-cpp parses flow collections recursively: refuse deep nesting before it does.
  int depth = 0;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return absl::InvalidArgumentError("document nested too deeply");
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  try {
    YAML::Node n = YAML::Load(std::string(text));
    return FromYaml(n, 0);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed YAML/JSON: ", e.what()));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed YAML/JSON: ", e.what()));
  }
}

absl::StatusOr<int64_t> ConfigValue::AsInt(std::string_view path) const {
  int64_t v;
  if (kind_ != Kind::kString || !absl::SimpleAtoi(scalar_, &v)) {
    return FieldError(path, absl::StrCat("must be an integer, got \"", scalar_, "\""));
  }
  return v;
}

absl::StatusOr<double> ConfigValue::AsDouble(std::string_view path) const {
  double v;
  if (kind_ != Kind::kString || !absl::SimpleAtod(scalar_, &v)) {
    return FieldError(path, absl::StrCat("must be a number, got \"", scalar_, "\""));
  }
  return v;
}

absl::StatusOr<bool> ConfigValue::AsBool(std::string_view path) const {
  if (kind_ == Kind::kString && scalar_ == "true") return true;
  if (kind_ == Kind::kString && scalar_ == "false") return false;
  return FieldError(path, "must be true or false");
}

absl::StatusOr<std::string> ConfigValue::AsString(std::string_view path) const {
  if (kind_ != Kind::kString) return FieldError(path, "must be a string");
  return scalar_;
}

const ConfigValue* ConfigValue::Find(std::string_view key) const {
  if (kind_ != Kind::kMap) return nullptr;
  auto it = map_.find(std::string(key));
  return it == map_.end() ? nullptr : &it->second;
}

Plugins DefaultPlugins() {
  Plugins p;
  p.multi_point.enabled = {{"PrioritySort", 0},
                           {"NodeUnschedulable", 0},
                           {"NodeName", 0},
                           {"TaintToleration", 3},
                           {"NodeAffinity", 2},
                           {"NodePorts", 0},
                           {"NodeResourcesFit", 1},
                           {"PodTopologySpread", 2},
                           {"InterPodAffinity", 2},
                           {"DefaultPreemption", 0},
                           {"NodeResourcesBalancedAllocation", 1},
                           {"ImageLocality", 1},
                           {"DefaultBinder", 0}};
  return p;
}

SchedulerConfig DefaultSchedulerConfig() {
  SchedulerConfig c;
  c.profiles.push_back(ProfileConfig());
  return c;
}

absl::StatusOr<SchedulerConfig> ParseSchedulerConfig(std::string_view text) {
  absl::StatusOr<ConfigValue> doc = ConfigValue::Parse(text);
  if (!doc.ok()) return doc.status();
  SchedulerConfig out;
  if (doc->is_null()) {
    out.profiles.push_back(ProfileConfig());
    return out;
  }
  absl::Status s = CheckKeys(*doc, "",
                             {"apiVersion", "kind", "parallelism", "percentageOfNodesToScore",
                              "podInitialBackoffSeconds", "podMaxBackoffSeconds", "profiles"});
  if (!s.ok()) return s;
  if (const ConfigValue* k = doc->Find("kind")) {
    if (k->scalar() != "KubeSchedulerConfiguration") {
      return FieldError("kind", "must be KubeSchedulerConfiguration");
    }
  }
  if (const ConfigValue* v = doc->Find("parallelism")) {
    absl::StatusOr<int64_t> p = v->AsInt("parallelism");
    if (!p.ok()) return p.status();
    if (*p <= 0 || *p > 1024) return FieldError("parallelism", "should be in the range [1, 1024]");
    out.parallelism = static_cast<int32_t>(*p);
  }
  if (const ConfigValue* v = doc->Find("percentageOfNodesToScore")) {
    s = ParsePercentage(*v, "percentageOfNodesToScore", &out.percentage_of_nodes_to_score);
    if (!s.ok()) return s;
  }
  for (auto [key, field] : {std::pair{"podInitialBackoffSeconds", &out.pod_initial_backoff_seconds},
                            {"podMaxBackoffSeconds", &out.pod_max_backoff_seconds}}) {
    if (const ConfigValue* v = doc->Find(key)) {
      absl::StatusOr<double> d = v->AsDouble(key);
      if (!d.ok()) return d.status();
      if (*d <= 0) return FieldError(key, "must be greater than 0");
      *field = *d;
    }
  }
  if (out.pod_max_backoff_seconds < out.pod_initial_backoff_seconds) {
    return FieldError("podMaxBackoffSeconds",
                      "must be greater than or equal to podInitialBackoffSeconds");
  }
  if (const ConfigValue* ps = doc->Find("profiles"); ps && !ps->is_null()) {
    if (!ps->is_list()) return FieldError("profiles", "must be a list");
    for (size_t i = 0; i < ps->list().size(); ++i) {
      ProfileConfig profile;
      std::string path = absl::StrCat("profiles[", i, "]");
      s = ParseProfile(ps->list()[i], path, &profile);
      if (!s.ok()) return s;
      for (const auto& other : out.profiles) {
        if (other.scheduler_name == profile.scheduler_name) {
          return FieldError(path + ".schedulerName",
                            absl::StrCat("Duplicate value: \"", profile.scheduler_name, "\""));
        }
      }
      out.profiles.push_back(std::move(profile));
    }
  }
  if (out.profiles.empty()) out.profiles.push_back(ProfileConfig());
  return out;
}

}  // namespace rudder::sched
