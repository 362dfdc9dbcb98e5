#include "lib/apiserver/rest/internal/table.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace rudder::apiserver::rest_internal {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

const rapidjson::Value* Find(const rapidjson::Value& v, std::initializer_list<const char*> path) {
  const rapidjson::Value* cur = &v;
  for (const char* p : path) {
    if (!cur->IsObject()) return nullptr;
    auto it = cur->FindMember(p);
    if (it == cur->MemberEnd()) return nullptr;
    cur = &it->value;
  }
  return cur;
}

std::string Str(const rapidjson::Value& v, std::initializer_list<const char*> path) {
  const rapidjson::Value* f = Find(v, path);
  return f != nullptr && f->IsString() ? std::string(f->GetString(), f->GetStringLength()) : "";
}

int64_t Int(const rapidjson::Value& v, std::initializer_list<const char*> path, int64_t def = 0) {
  const rapidjson::Value* f = Find(v, path);
  return f != nullptr && f->IsInt64() ? f->GetInt64() : def;
}

struct Column {
  std::string name;
  std::string type;
  std::string description;
  std::string format;
  int priority = 0;
};

// A value at a simple JSON path: ".spec.replicas", ".status.conditions[0].type" (filters and
// wildcards are not supported: nullptr).
const rapidjson::Value* AtPath(const rapidjson::Value& v, const std::string& path) {
  const rapidjson::Value* cur = &v;
  size_t i = 0;
  if (!path.empty() && path[0] == '{' && path.back() == '}') i = 1;  // "{.spec.x}"
  const size_t end = i == 1 ? path.size() - 1 : path.size();
  while (i < end) {
    if (path[i] == '.') {
      size_t j = i + 1;
      while (j < end && path[j] != '.' && path[j] != '[') ++j;
      if (j == i + 1) return nullptr;
      if (!cur->IsObject()) return nullptr;
      // (A Value, not a StringRef, which would convert to a NUL-terminated const char*.)
      const rapidjson::Value key(rapidjson::StringRef(path.data() + i + 1, j - i - 1));
      auto it = cur->FindMember(key);
      if (it == cur->MemberEnd()) return nullptr;
      cur = &it->value;
      i = j;
    } else if (path[i] == '[') {
      size_t j = path.find(']', i);
      if (j == std::string::npos || j > end) return nullptr;
      int64_t n = 0;
      if (!absl::SimpleAtoi(path.substr(i + 1, j - i - 1), &n) || !cur->IsArray()) return nullptr;
      if (n < 0) n += cur->Size();
      if (n < 0 || n >= static_cast<int64_t>(cur->Size())) return nullptr;
      cur = &(*cur)[static_cast<rapidjson::SizeType>(n)];
      i = j + 1;
    } else {
      return nullptr;
    }
  }
  return cur;
}

// One printer column's cell, typed as Kubernetes' table convertor writes it.
void PrinterCell(const rapidjson::Value& obj, const api::PrinterColumn& c, absl::Time now,
                 Writer& w) {
  const rapidjson::Value* v = AtPath(obj, c.json_path);
  if (v == nullptr || v->IsNull()) {
    w.Null();
    return;
  }
  if (c.type == "date" && v->IsString()) {
    absl::Time t;
    std::string err;
    if (absl::ParseTime(absl::RFC3339_full, v->GetString(), &t, &err)) {
      w.String(HumanDuration(now - t).c_str());
      return;
    }
  }
  if (v->IsObject() || v->IsArray()) {
    rapidjson::StringBuffer b;
    Writer inner(b);
    v->Accept(inner);
    w.String(b.GetString(), b.GetSize());
    return;
  }
  v->Accept(w);
}

std::string Age(const rapidjson::Value& obj, absl::Time now) {
  std::string ts = Str(obj, {"metadata", "creationTimestamp"});
  absl::Time t;
  std::string err;
  if (ts.empty() || !absl::ParseTime(absl::RFC3339_full, ts, &t, &err)) return "<unknown>";
  return HumanDuration(now - t);
}

void PodCells(const rapidjson::Value& obj, Writer& w) {
  int64_t total = 0, ready = 0, restarts = 0;
  if (const auto* cs = Find(obj, {"spec", "containers"}); cs != nullptr && cs->IsArray()) {
    total = cs->Size();
  }
  std::string reason = Str(obj, {"status", "phase"});
  if (std::string r = Str(obj, {"status", "reason"}); !r.empty()) reason = r;
  if (const auto* st = Find(obj, {"status", "containerStatuses"}); st != nullptr && st->IsArray()) {
    for (const auto& c : st->GetArray()) {
      restarts += Int(c, {"restartCount"});
      const auto* rd = Find(c, {"ready"});
      if (rd != nullptr && rd->IsBool() && rd->GetBool()) ++ready;
      if (std::string wr = Str(c, {"state", "waiting", "reason"}); !wr.empty()) reason = wr;
      if (std::string tr = Str(c, {"state", "terminated", "reason"}); !tr.empty()) reason = tr;
    }
  }
  if (Find(obj, {"metadata", "deletionTimestamp"}) != nullptr) reason = "Terminating";
  if (reason.empty()) reason = "Pending";
  std::string rs = absl::StrCat(ready, "/", total);
  w.String(rs.c_str());
  w.String(reason.c_str());
  w.Int64(restarts);
}

void DeploymentCells(const rapidjson::Value& obj, Writer& w) {
  std::string rs =
      absl::StrCat(Int(obj, {"status", "readyReplicas"}), "/", Int(obj, {"spec", "replicas"}, 1));
  w.String(rs.c_str());
  w.Int64(Int(obj, {"status", "updatedReplicas"}));
  w.Int64(Int(obj, {"status", "availableReplicas"}));
}

}  // namespace

std::string HumanDuration(absl::Duration d) {
  if (d < absl::Seconds(-1)) return "<invalid>";
  if (d < absl::ZeroDuration()) return "0s";
  int64_t s = absl::ToInt64Seconds(d);
  if (s < 120) return absl::StrCat(s, "s");
  int64_t m = s / 60;
  if (m < 10) return s % 60 == 0 ? absl::StrCat(m, "m") : absl::StrCat(m, "m", s % 60, "s");
  if (m < 180) return absl::StrCat(m, "m");
  int64_t h = s / 3600;
  if (h < 8) return m % 60 == 0 ? absl::StrCat(h, "h") : absl::StrCat(h, "h", m % 60, "m");
  if (h < 48) return absl::StrCat(h, "h");
  if (h < 192)
    return h % 24 == 0 ? absl::StrCat(h / 24, "d") : absl::StrCat(h / 24, "d", h % 24, "h");
  if (h < 24 * 365 * 2) return absl::StrCat(h / 24, "d");
  if (h < 24 * 365 * 8) {
    int64_t dy = (h / 24) % 365;
    return dy == 0 ? absl::StrCat(h / 24 / 365, "y") : absl::StrCat(h / 24 / 365, "y", dy, "d");
  }
  return absl::StrCat(h / 24 / 365, "y");
}

std::string RenderTable(const api::KindInfo& kind,
                        const std::vector<std::string_view>& objects_json,
                        const std::string& resource_version, const std::string& continue_token,
                        absl::Time now) {
  enum class Style { kGeneric, kPod, kDeployment, kPrinterColumns } style = Style::kGeneric;
  if (!kind.printer_columns.empty()) style = Style::kPrinterColumns;
  if (kind.gvk.group.empty() && kind.gvk.kind == "Pod") style = Style::kPod;
  if (kind.gvk.group == "apps" && kind.gvk.kind == "Deployment") style = Style::kDeployment;
  std::vector<Column> cols = {
      {"Name", "string", "Name must be unique within a namespace. Cannot be updated."}};
  if (style == Style::kPod) {
    cols.push_back(
        {"Ready", "string", "The aggregate readiness state of this pod for accepting traffic."});
    cols.push_back({"Status", "string", "The aggregate status of the containers in this pod."});
    cols.push_back({"Restarts", "integer",
                    "The number of times the containers in this pod have been restarted."});
  } else if (style == Style::kDeployment) {
    cols.push_back({"Ready", "string", "Number of the pod with ready state"});
    cols.push_back({"Up-to-date", "integer",
                    "Total number of non-terminated pods targeted by this deployment that have the "
                    "desired template spec."});
    cols.push_back({"Available", "integer",
                    "Total number of available pods (ready for at least minReadySeconds) targeted "
                    "by this deployment."});
  }
  if (style == Style::kPrinterColumns) {
    for (const api::PrinterColumn& c : kind.printer_columns) {
      cols.push_back(
          {c.name, c.type == "date" ? "date" : c.type, c.description, c.format, c.priority});
    }
  } else {
    cols.push_back(
        {"Age", "string",
         "CreationTimestamp is a timestamp representing the server time when this object "
         "was created."});
  }

  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("kind");
  w.String("Table");
  w.Key("apiVersion");
  w.String("meta.k8s.io/v1");
  w.Key("metadata");
  w.StartObject();
  w.Key("resourceVersion");
  w.String(resource_version.c_str());
  if (!continue_token.empty()) {
    w.Key("continue");
    w.String(continue_token.c_str());
  }
  w.EndObject();
  w.Key("columnDefinitions");
  w.StartArray();
  for (const Column& c : cols) {
    w.StartObject();
    w.Key("name");
    w.String(c.name.c_str());
    w.Key("type");
    w.String(c.type.c_str());
    w.Key("format");
    w.String(c.name == "Name" ? "name" : c.format.c_str());
    w.Key("description");
    w.String(c.description.c_str());
    w.Key("priority");
    w.Int(c.priority);
    w.EndObject();
  }
  w.EndArray();
  w.Key("rows");
  w.StartArray();
  for (std::string_view json : objects_json) {
    rapidjson::Document obj;
    obj.Parse(json.data(), json.size());
    if (obj.HasParseError() || !obj.IsObject()) continue;
    w.StartObject();
    w.Key("cells");
    w.StartArray();
    std::string name = Str(obj, {"metadata", "name"});
    w.String(name.c_str());
    if (style == Style::kPod) PodCells(obj, w);
    if (style == Style::kDeployment) DeploymentCells(obj, w);
    if (style == Style::kPrinterColumns) {
      for (const api::PrinterColumn& c : kind.printer_columns) PrinterCell(obj, c, now, w);
    } else {
      std::string age = Age(obj, now);
      w.String(age.c_str());
    }
    w.EndArray();
    w.Key("object");
    w.StartObject();
    w.Key("kind");
    w.String("PartialObjectMetadata");
    w.Key("apiVersion");
    w.String("meta.k8s.io/v1");
    w.Key("metadata");
    if (const auto* m = Find(obj, {"metadata"}); m != nullptr) {
      m->Accept(w);
    } else {
      w.StartObject();
      w.EndObject();
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace rudder::apiserver::rest_internal
