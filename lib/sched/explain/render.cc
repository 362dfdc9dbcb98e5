// Text and JSON renderings of the explanation results.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/base/json_quote.h"
#include "lib/sched/explain/explain.h"

namespace rudder::sched::explain {
namespace {

// A JSON object under construction: Field(k, already-encoded value).
class Obj {
 public:
  Obj& Raw(std::string_view k, std::string_view v) {
    absl::StrAppend(&s_, first_ ? "" : ",", JsonQuote(k), ":",
                    absl::string_view(v.data(), v.size()));
    first_ = false;
    return *this;
  }
  Obj& Str(std::string_view k, std::string_view v) { return Raw(k, JsonQuote(v)); }
  Obj& Int(std::string_view k, int64_t v) { return Raw(k, absl::StrCat(v)); }
  Obj& Bool(std::string_view k, bool v) { return Raw(k, v ? "true" : "false"); }
  std::string Done() const { return "{" + s_ + "}"; }

 private:
  std::string s_;
  bool first_ = true;
};

template <typename T, typename F>
std::string Array(const std::vector<T>& v, F f) {
  std::vector<std::string> parts;
  for (const auto& x : v) parts.push_back(f(x));
  return "[" + absl::StrJoin(parts, ",") + "]";
}

std::string StrArray(const std::vector<std::string>& v) {
  return Array(v, [](const std::string& s) { return JsonQuote(s); });
}

const char* CodeName(Code c) {
  switch (c) {
    case Code::kSuccess:
      return "Success";
    case Code::kError:
      return "Error";
    case Code::kUnschedulable:
      return "Unschedulable";
    case Code::kUnschedulableAndUnresolvable:
      return "UnschedulableAndUnresolvable";
    case Code::kWait:
      return "Wait";
    case Code::kSkip:
      return "Skip";
    case Code::kPending:
      return "Pending";
  }
  return "Unknown";
}

const char* KindName(ChangeKind k) {
  switch (k) {
    case ChangeKind::kAddToleration:
      return "AddToleration";
    case ChangeKind::kSetNodeLabel:
      return "SetNodeLabel";
    case ChangeKind::kRemoveNodeLabel:
      return "RemoveNodeLabel";
    case ChangeKind::kPreemptPod:
      return "PreemptPod";
    case ChangeKind::kAddCapacity:
      return "AddCapacity";
    case ChangeKind::kFreeHostPort:
      return "FreeHostPort";
  }
  return "Unknown";
}

std::string NodeScoreJson(const NodeScore& n) {
  return Obj()
      .Str("node", n.node)
      .Int("rank", n.rank)
      .Int("total", n.total)
      .Raw("plugins", Array(n.plugins,
                            [](const PluginScore& p) {
                              return Obj()
                                  .Str("plugin", p.plugin)
                                  .Int("raw", p.raw)
                                  .Int("normalized", p.normalized)
                                  .Int("weight", p.weight)
                                  .Int("weighted", p.weighted)
                                  .Done();
                            }))
      .Done();
}

std::string VerdictJson(const PluginVerdict& v) {
  return Obj()
      .Str("plugin", v.plugin)
      .Str("point", v.point)
      .Str("code", CodeName(v.code))
      .Raw("reasons", StrArray(v.reasons))
      .Done();
}

void AppendScoreTable(std::string* out, const NodeScore& n) {
  absl::StrAppend(out, "  #", n.rank, " ", n.node, "  total ", n.total, "\n");
  for (const PluginScore& p : n.plugins) {
    absl::StrAppend(out, absl::StrFormat("      %-34s raw %6d  normalized %3d  x%-3d = %d\n",
                                         p.plugin, p.raw, p.normalized, p.weight, p.weighted));
  }
}

}  // namespace

std::string ToText(const Explanation& e) {
  std::string out = absl::StrCat("pod ", e.pod, " (profile ", e.profile, ")\n");
  absl::StrAppend(&out, "  ", e.feasible_nodes, "/", e.num_nodes, " nodes fit; the scheduler ",
                  "filters ", e.evaluated_nodes, " and scores ", e.scored_nodes, "\n");
  if (e.chosen_node.empty()) {
    absl::StrAppend(&out, "  unschedulable: ", e.message, "\n");
    return out;
  }
  absl::StrAppend(&out, "  chosen node: ", e.chosen_node, "\n");
  for (const NodeScore& n : e.top) AppendScoreTable(&out, n);
  if (!e.reasons.empty()) {
    absl::StrAppend(&out, "  rejected:\n");
    for (const auto& [r, n] : e.reasons) absl::StrAppend(&out, "    ", n, " ", r, "\n");
  }
  return out;
}

std::string ToText(const WhyNotResult& w) {
  std::string out = absl::StrCat("pod ", w.pod, " on node ", w.node, ": ", w.summary, "\n");
  for (const PluginVerdict& v : w.failures) {
    absl::StrAppend(&out, "  ", v.point, " ", v.plugin, " (", CodeName(v.code),
                    "): ", absl::StrJoin(v.reasons, ", "), "\n");
  }
  if (w.score) AppendScoreTable(&out, *w.score);
  if (w.best && w.rank != 1) AppendScoreTable(&out, *w.best);
  return out;
}

std::string ToText(const FitSuggestions& f) {
  std::string out = absl::StrCat("pod ", f.pod, ": ");
  if (f.already_fits) return out + "it already fits on some node\n";
  absl::StrAppend(&out, f.message, "\n");
  if (f.suggestions.empty()) absl::StrAppend(&out, "  no change found that makes it fit\n");
  int i = 0;
  for (const Suggestion& s : f.suggestions) {
    absl::StrAppend(&out, "  ", ++i, ". on node ", s.node, " (", s.changes.size(), " change",
                    s.changes.size() == 1 ? "" : "s", s.verified ? ", verified" : "",
                    "): ", s.summary, "\n");
  }
  return out;
}

std::string ToText(const SimulationResult& s) {
  std::string out = absl::StrCat(s.scheduled, " scheduled, ", s.unschedulable, " unschedulable\n");
  for (const Placement& p : s.placements) {
    if (p.node.empty()) {
      absl::StrAppend(&out, "  ", p.pod, " -> (none): ", p.message, "\n");
    } else {
      absl::StrAppend(&out, "  ", p.pod, " -> ", p.node, "\n");
    }
  }
  return out;
}

std::string ToJson(const Explanation& e) {
  Obj o;
  o.Str("pod", e.pod)
      .Str("profile", e.profile)
      .Int("numNodes", e.num_nodes)
      .Int("feasibleNodes", e.feasible_nodes)
      .Int("evaluatedNodes", e.evaluated_nodes)
      .Int("scoredNodes", e.scored_nodes)
      .Str("chosenNode", e.chosen_node)
      .Raw("top", Array(e.top, NodeScoreJson));
  Obj reasons;
  for (const auto& [r, n] : e.reasons) reasons.Int(r, n);
  o.Raw("reasons", reasons.Done());
  if (!e.message.empty()) o.Str("message", e.message);
  return o.Done();
}

std::string ToJson(const WhyNotResult& w) {
  Obj o;
  o.Str("pod", w.pod).Str("node", w.node).Bool("fits", w.fits).Str("summary", w.summary);
  if (w.first_failure) o.Raw("firstFailure", VerdictJson(*w.first_failure));
  o.Raw("failures", Array(w.failures, VerdictJson));
  if (w.fits) {
    o.Int("rank", w.rank)
        .Int("scoredNodes", w.scored_nodes)
        .Bool("outsideSample", w.outside_sample);
  }
  if (w.score) o.Raw("score", NodeScoreJson(*w.score));
  if (w.best) o.Raw("best", NodeScoreJson(*w.best));
  return o.Done();
}

std::string ToJson(const FitSuggestions& f) {
  Obj o;
  o.Str("pod", f.pod).Bool("alreadyFits", f.already_fits);
  if (!f.message.empty()) o.Str("message", f.message);
  o.Raw("suggestions", Array(f.suggestions, [](const Suggestion& s) {
          return Obj()
              .Str("node", s.node)
              .Int("cost", s.cost)
              .Int("pdbViolations", s.pdb_violations)
              .Bool("verified", s.verified)
              .Int("otherNodes", s.other_nodes)
              .Str("summary", s.summary)
              .Raw("changes", Array(s.changes,
                                    [](const Change& c) {
                                      Obj co;
                                      co.Str("kind", KindName(c.kind));
                                      switch (c.kind) {
                                        case ChangeKind::kAddToleration:
                                          co.Raw("taint", Obj()
                                                              .Str("key", c.taint.key())
                                                              .Str("value", c.taint.value())
                                                              .Str("effect", c.taint.effect())
                                                              .Done());
                                          break;
                                        case ChangeKind::kSetNodeLabel:
                                          co.Str("key", c.label_key).Str("value", c.label_value);
                                          break;
                                        case ChangeKind::kRemoveNodeLabel:
                                          co.Str("key", c.label_key);
                                          break;
                                        case ChangeKind::kPreemptPod:
                                          co.Str("pod", c.pod)
                                              .Int("priority", c.priority)
                                              .Bool("violatesPdb", c.violates_pdb);
                                          break;
                                        case ChangeKind::kFreeHostPort:
                                          co.Str("pod", c.pod);
                                          break;
                                        case ChangeKind::kAddCapacity:
                                          co.Str("resource", c.resource)
                                              .Str("amount", FormatAmount(c.resource, c.amount))
                                              .Str("allocatable",
                                                   FormatAmount(c.resource, c.allocatable));
                                          break;
                                      }
                                      co.Str("description", c.description);
                                      return co.Done();
                                    }))
              .Done();
        }));
  return o.Done();
}

std::string ToJson(const SimulationResult& s) {
  return Obj()
      .Int("scheduled", s.scheduled)
      .Int("unschedulable", s.unschedulable)
      .Raw("placements", Array(s.placements,
                               [](const Placement& p) {
                                 Obj o;
                                 o.Str("pod", p.pod).Str("node", p.node);
                                 if (!p.message.empty()) o.Str("message", p.message);
                                 return o.Done();
                               }))
      .Done();
}

}  // namespace rudder::sched::explain
