#include "lib/apiserver/rest/internal/discovery.h"

#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace rudder::apiserver::rest_internal {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
namespace meta = api::meta::v1;

void Str(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void Strings(Writer& w, const char* key,
             const google::protobuf::RepeatedPtrField<std::string>& values) {
  w.Key(key);
  w.StartArray();
  for (const std::string& v : values)
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  w.EndArray();
}

void ResponseKind(Writer& w, const std::string& group, const std::string& version,
                  const std::string& kind) {
  w.Key("responseKind");
  w.StartObject();
  Str(w, "group", group);
  Str(w, "version", version);
  Str(w, "kind", kind);
  w.EndObject();
}

void Resource(Writer& w, const std::string& group, const std::string& version,
              const meta::APIResource& r, const std::vector<const meta::APIResource*>& subs) {
  w.StartObject();
  Str(w, "resource", r.name());
  ResponseKind(w, r.has_group() ? r.group() : group, r.has_version() ? r.version() : version,
               r.kind());
  Str(w, "scope", r.namespaced() ? "Namespaced" : "Cluster");
  Str(w, "singularResource", r.singularname());
  Strings(w, "verbs", r.verbs());
  if (r.shortnames_size() > 0) Strings(w, "shortNames", r.shortnames());
  if (r.categories_size() > 0) Strings(w, "categories", r.categories());
  if (!subs.empty()) {
    w.Key("subresources");
    w.StartArray();
    for (const meta::APIResource* s : subs) {
      w.StartObject();
      std::string name = s->name();
      Str(w, "subresource", name.substr(name.find('/') + 1));
      ResponseKind(w, s->has_group() ? s->group() : group,
                   s->has_version() ? s->version() : version, s->kind());
      Strings(w, "verbs", s->verbs());
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

}  // namespace

std::string AggregatedDiscoveryVersion(const std::string& accept) {
  for (absl::string_view range : absl::StrSplit(accept, ',')) {
    std::vector<std::string> parts;
    for (absl::string_view p : absl::StrSplit(range, ';')) {
      parts.push_back(absl::AsciiStrToLower(absl::StripAsciiWhitespace(p)));
    }
    if (parts.empty() || parts[0].empty()) continue;
    const std::string& type = parts[0];
    if (type != "application/json" && type != "*/*" && type != "application/*") continue;
    std::map<std::string, std::string> params;
    for (size_t i = 1; i < parts.size(); ++i) {
      std::vector<std::string> kv = absl::StrSplit(parts[i], absl::MaxSplits('=', 1));
      if (kv.size() == 2) params[kv[0]] = kv[1];
    }
    if (!params.count("as") && !params.count("g")) return "";  // a plain range comes first
    if (params["as"] == "apigroupdiscoverylist" && params["g"] == "apidiscovery.k8s.io" &&
        (params["v"] == "v2" || params["v"] == "v2beta1")) {
      return params["v"];
    }
  }
  return "";
}

std::string AggregatedDiscoveryContentType(const std::string& version) {
  return "application/json;g=apidiscovery.k8s.io;v=" + version + ";as=APIGroupDiscoveryList";
}

std::string AggregatedDiscoveryJson(const std::vector<DiscoveryGroup>& groups,
                                    const std::string& version) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  Str(w, "kind", "APIGroupDiscoveryList");
  Str(w, "apiVersion", "apidiscovery.k8s.io/" + version);
  w.Key("metadata");
  w.StartObject();
  w.EndObject();
  w.Key("items");
  w.StartArray();
  for (const DiscoveryGroup& g : groups) {
    w.StartObject();
    w.Key("metadata");
    w.StartObject();
    if (!g.name.empty()) Str(w, "name", g.name);
    w.Key("creationTimestamp");
    w.Null();
    w.EndObject();
    w.Key("versions");
    w.StartArray();
    for (const meta::APIResourceList& list : g.versions) {
      std::string gv = list.groupversion();
      std::string v = gv.substr(gv.find('/') + 1);
      std::map<std::string, std::vector<const meta::APIResource*>> subs;
      for (const meta::APIResource& r : list.resources()) {
        size_t slash = r.name().find('/');
        if (slash != std::string::npos) subs[r.name().substr(0, slash)].push_back(&r);
      }
      w.StartObject();
      Str(w, "version", v);
      w.Key("resources");
      w.StartArray();
      for (const meta::APIResource& r : list.resources()) {
        if (r.name().find('/') != std::string::npos) continue;
        Resource(w, g.name, v, r, subs[r.name()]);
      }
      w.EndArray();
      Str(w, "freshness", "Current");
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace rudder::apiserver::rest_internal
