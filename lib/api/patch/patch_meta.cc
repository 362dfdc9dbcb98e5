#include "lib/api/patch/patch_meta.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rudder::api::patch {

absl::StatusOr<PatchStrategy> PatchStrategy::Parse(absl::string_view tag) {
  PatchStrategy s;
  if (tag.empty()) return s;
  std::vector<absl::string_view> parts = absl::StrSplit(tag, ',');
  if (parts.size() > 2) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected patch strategy \"", tag, "\""));
  }
  int non_retain = 0;
  for (absl::string_view p : parts) {
    if (p == "retainKeys") {
      s.retain_keys = true;
      continue;
    }
    ++non_retain;
    if (p == "merge") {
      s.merge = true;
    } else if (p == "replace") {
      s.replace = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unexpected patch strategy \"", tag, "\""));
    }
  }
  if (parts.size() == 2 && non_retain != 1) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected patch strategy \"", tag, "\""));
  }
  return s;
}

namespace {

class Schemaless final : public PatchMeta {
 public:
  absl::StatusOr<FieldPatchInfo> Lookup(absl::string_view name) const override {
    FieldPatchInfo info;
    info.kind = FieldKind::kAny;
    info.children = this;
    return info;
  }
  std::string Name() const override { return "schemaless object"; }
};

}  // namespace

const PatchMeta& SchemalessPatchMeta() {
  static const Schemaless* const kInstance = new Schemaless();
  return *kInstance;
}

TablePatchMeta& TablePatchMeta::AddField(std::string field, FieldKind kind, std::string strategy,
                                         std::string merge_key,
                                         std::shared_ptr<const PatchMeta> children) {
  fields_[std::move(field)] =
      Entry{kind, std::move(strategy), std::move(merge_key), std::move(children)};
  return *this;
}

TablePatchMeta& TablePatchMeta::SetDefaultField(FieldKind kind, std::string strategy,
                                                std::string merge_key,
                                                std::shared_ptr<const PatchMeta> children) {
  default_ = std::make_unique<Entry>(
      Entry{kind, std::move(strategy), std::move(merge_key), std::move(children)});
  return *this;
}

absl::StatusOr<FieldPatchInfo> TablePatchMeta::ToInfo(const Entry& e) const {
  FieldPatchInfo info;
  info.kind = e.kind;
  auto strategy = PatchStrategy::Parse(e.strategy);
  if (!strategy.ok()) return strategy.status();
  info.strategy = *strategy;
  info.merge_key = e.merge_key;
  info.children = e.children != nullptr ? e.children.get() : &SchemalessPatchMeta();
  return info;
}

absl::StatusOr<FieldPatchInfo> TablePatchMeta::Lookup(absl::string_view name) const {
  auto it = fields_.find(name);
  if (it != fields_.end()) return ToInfo(it->second);
  if (default_ != nullptr) return ToInfo(*default_);
  return absl::NotFoundError(absl::StrCat("unable to find api field in struct ", name_,
                                          " for the json field \"", name, "\""));
}

}  // namespace rudder::api::patch
