// Object metadata, names, labels and label selectors (apimachinery's ValidateObjectMeta).
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/api/validation/internal/common.h"
#include "lib/api/validation/internal/kinds_internal.h"
#include "lib/api/validation/kinds.h"
#include "lib/api/validation/names.h"

namespace rudder::api::validation {

using field::FieldErrors;
using field::Invalid;
using field::Path;
using field::Quote;

namespace {

// A generateName may end in '-': check it as if the dash were a letter.
std::string MaskTrailingDash(std::string_view name, bool prefix) {
  std::string s(name);
  if (prefix && s.size() > 1 && s.back() == '-') s.back() = 'a';
  return s;
}

}  // namespace

std::vector<std::string> NameIsDNSSubdomain(std::string_view name, bool prefix) {
  return IsDNS1123Subdomain(MaskTrailingDash(name, prefix));
}
std::vector<std::string> NameIsDNSLabel(std::string_view name, bool prefix) {
  return IsDNS1123Label(MaskTrailingDash(name, prefix));
}
std::vector<std::string> NameIsDNS1035Label(std::string_view name, bool prefix) {
  return IsDNS1035Label(MaskTrailingDash(name, prefix));
}
std::vector<std::string> NameIsPathSegment(std::string_view name, bool prefix) {
  std::vector<std::string> errs;
  if (!prefix) {
    if (name == ".") errs.push_back("may not be '.'");
    if (name == "..") errs.push_back("may not be '..'");
  }
  if (name.find('/') != std::string_view::npos) errs.push_back("may not contain '/'");
  if (name.find('%') != std::string_view::npos) errs.push_back("may not contain '%'");
  return errs;
}

FieldErrors ValidateLabels(const google::protobuf::Map<std::string, std::string>& labels,
                           const Path& path) {
  FieldErrors errs;
  for (const std::string& k : validation_internal::SortedKeys(labels)) {
    validation_internal::LabelKey(k, path, &errs);
    const std::string& v = labels.at(k);
    for (const std::string& m : IsValidLabelValue(v)) errs.Add(Invalid(path, Quote(v), m));
  }
  return errs;
}

FieldErrors ValidateLabelSelector(const meta::v1::LabelSelector& selector, const Path& path) {
  FieldErrors errs;
  for (int i = 0; i < selector.matchexpressions_size(); ++i) {
    const meta::v1::LabelSelectorRequirement& r = selector.matchexpressions(i);
    Path p = path.Child("matchExpressions").Index(i);
    const std::string& op = r.operator_();
    if (op == "In" || op == "NotIn") {
      if (r.values().empty()) {
        errs.Add(field::Required(p.Child("values"),
                                 "must be specified when `operator` is 'In' or 'NotIn'"));
      }
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (!r.values().empty()) {
        errs.Add(
            field::Forbidden(p.Child("values"),
                             "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      }
    } else {
      errs.Add(Invalid(p.Child("operator"), Quote(op), "not a valid selector operator"));
    }
    validation_internal::LabelKey(r.key(), p.Child("key"), &errs);
    for (int j = 0; j < r.values_size(); ++j) {
      for (const std::string& m : IsValidLabelValue(r.values(j))) {
        errs.Add(Invalid(p.Child("values").Index(j), Quote(r.values(j)), m));
      }
    }
  }
  errs.Append(ValidateLabels(selector.matchlabels(), path.Child("matchLabels")));
  return errs;
}

namespace {
using validation_internal::ValidateAnnotations;
}  // namespace

}  // namespace rudder::api::validation

namespace rudder::api::validation_internal {

using field::Invalid;
using field::Quote;
using validation::IsQualifiedName;

constexpr int64_t kTotalAnnotationSizeLimit = 256 * 1024;

FieldErrors ValidateAnnotations(const google::protobuf::Map<std::string, std::string>& a,
                                const Path& path) {
  FieldErrors errs;
  int64_t total = 0;
  for (const std::string& k : validation_internal::SortedKeys(a)) {
    for (const std::string& m : IsQualifiedName(absl::AsciiStrToLower(k))) {
      errs.Add(Invalid(path, Quote(k), m));
    }
    total += static_cast<int64_t>(k.size() + a.at(k).size());
  }
  if (total > kTotalAnnotationSizeLimit) {
    errs.Add(field::TooLong(path, "", kTotalAnnotationSizeLimit));
  }
  return errs;
}

}  // namespace rudder::api::validation_internal

namespace rudder::api::validation {
namespace {

FieldErrors ValidateOwnerReferences(const meta::v1::ObjectMeta& meta, const Path& path) {
  FieldErrors errs;
  std::vector<std::string> controllers;
  for (const meta::v1::OwnerReference& ref : meta.ownerreferences()) {
    // apiVersion is "version" or "group/version"; the version part must not be empty.
    std::string_view av = ref.apiversion();
    std::string_view version =
        av.substr(av.rfind('/') == std::string_view::npos ? 0 : av.rfind('/') + 1);
    if (version.empty()) {
      errs.Add(
          Invalid(path.Child("apiVersion"), Quote(ref.apiversion()), "version must not be empty"));
    }
    if (ref.kind().empty()) {
      errs.Add(Invalid(path.Child("kind"), Quote(ref.kind()), "kind must not be empty"));
    }
    if (ref.name().empty()) {
      errs.Add(Invalid(path.Child("name"), Quote(ref.name()), "name must not be empty"));
    }
    if (ref.uid().empty()) {
      errs.Add(Invalid(path.Child("uid"), Quote(ref.uid()), "uid must not be empty"));
    }
    if (ref.controller()) controllers.push_back(ref.kind() + "/" + ref.name());
  }
  if (controllers.size() > 1) {
    errs.Add(Invalid(path, "",
                     absl::StrCat("Only one reference can have Controller set to true. Found "
                                  "\"true\" in references for ",
                                  absl::StrJoin(controllers, " and "))));
  }
  return errs;
}

FieldErrors ValidateFinalizers(const google::protobuf::RepeatedPtrField<std::string>& finalizers,
                               const Path& path) {
  FieldErrors errs;
  bool orphan = false, foreground = false;
  for (const std::string& f : finalizers) {
    for (const std::string& m : IsQualifiedName(f)) errs.Add(Invalid(path, Quote(f), m));
    orphan |= f == "orphan";
    foreground |= f == "foregroundDeletion";
  }
  if (orphan && foreground) {
    errs.Add(Invalid(path, "", "finalizer orphan and foregroundDeletion cannot be both set"));
  }
  return errs;
}

}  // namespace

FieldErrors ValidateObjectMeta(const meta::v1::ObjectMeta& meta, bool namespaced,
                               const NameValidator& name_fn, const Path& path) {
  FieldErrors errs;
  if (!meta.generatename().empty()) {
    for (const std::string& m : name_fn(meta.generatename(), true)) {
      errs.Add(Invalid(path.Child("generateName"), Quote(meta.generatename()), m));
    }
  }
  if (meta.name().empty()) {
    if (meta.generatename().empty()) {
      errs.Add(field::Required(path.Child("name"), "name or generateName is required"));
    }
  } else {
    for (const std::string& m : name_fn(meta.name(), false)) {
      errs.Add(Invalid(path.Child("name"), Quote(meta.name()), m));
    }
  }
  if (namespaced) {
    if (meta.namespace_().empty()) {
      errs.Add(field::Required(path.Child("namespace"), ""));
    } else {
      for (const std::string& m : IsDNS1123Label(meta.namespace_())) {
        errs.Add(Invalid(path.Child("namespace"), Quote(meta.namespace_()), m));
      }
    }
  } else if (!meta.namespace_().empty()) {
    errs.Add(field::Forbidden(path.Child("namespace"), "not allowed on this type"));
  }
  validation_internal::NonNegative(meta.generation(), path.Child("generation"), &errs);
  errs.Append(ValidateLabels(meta.labels(), path.Child("labels")));
  errs.Append(ValidateAnnotations(meta.annotations(), path.Child("annotations")));
  errs.Append(ValidateOwnerReferences(meta, path.Child("ownerReferences")));
  errs.Append(ValidateFinalizers(meta.finalizers(), path.Child("finalizers")));
  return errs;
}

FieldErrors ValidateObjectMetaUpdate(const meta::v1::ObjectMeta& meta,
                                     const meta::v1::ObjectMeta& old, const Path& path) {
  FieldErrors errs;
  validation_internal::Immutable(meta.name(), old.name(), path.Child("name"), &errs);
  validation_internal::Immutable(meta.namespace_(), old.namespace_(), path.Child("namespace"),
                                 &errs);
  validation_internal::Immutable(meta.uid(), old.uid(), path.Child("uid"), &errs);
  if (meta.creationtimestamp().seconds() != old.creationtimestamp().seconds() ||
      meta.creationtimestamp().nanos() != old.creationtimestamp().nanos()) {
    errs.Add(Invalid(path.Child("creationTimestamp"), "", validation_internal::kImmutable));
  }
  if (old.has_deletiontimestamp()) {
    std::set<std::string> had(old.finalizers().begin(), old.finalizers().end());
    std::vector<std::string> added;
    for (const std::string& f : meta.finalizers()) {
      if (!had.contains(f)) added.push_back(Quote(f));
    }
    if (!added.empty()) {
      errs.Add(field::Forbidden(
          path.Child("finalizers"),
          absl::StrCat("no new finalizers can be added if the object is being deleted, found new "
                       "finalizers []string{",
                       absl::StrJoin(added, ", "), "}")));
    }
  }
  validation_internal::NonNegative(meta.generation(), path.Child("generation"), &errs);
  errs.Append(ValidateLabels(meta.labels(), path.Child("labels")));
  errs.Append(ValidateAnnotations(meta.annotations(), path.Child("annotations")));
  errs.Append(ValidateOwnerReferences(meta, path.Child("ownerReferences")));
  errs.Append(ValidateFinalizers(meta.finalizers(), path.Child("finalizers")));
  return errs;
}

}  // namespace rudder::api::validation
