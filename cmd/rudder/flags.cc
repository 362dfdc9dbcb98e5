#include "cmd/rudder/flags.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace rudder::cmd {

void FlagSet::String(const std::string& name, std::string default_value, std::string help) {
  flags_[name] = Flag{false, default_value, default_value, std::move(help)};
}

void FlagSet::Bool(const std::string& name, bool default_value, std::string help) {
  std::string v = default_value ? "true" : "false";
  flags_[name] = Flag{true, v, v, std::move(help)};
}

absl::Status FlagSet::Parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional_.insert(positional_.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (!absl::StartsWith(arg, "-") || arg == "-") {
      positional_.push_back(arg);
      continue;
    }
    std::string body = arg.substr(absl::StartsWith(arg, "--") ? 2 : 1);
    std::string name = body, value;
    bool has_value = false;
    if (size_t eq = body.find('='); eq != std::string::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
      has_value = true;
    }
    auto it = flags_.find(name);
    if (it == flags_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " for rudder ", command_, " (see --help)"));
    }
    Flag& flag = it->second;
    if (flag.is_bool) {
      if (!has_value) value = "true";
      if (value != "true" && value != "false") {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", name, " wants true or false, got \"", value, "\""));
      }
    } else if (!has_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
      }
      value = args[++i];
    }
    flag.value = value;
  }
  return absl::OkStatus();
}

std::string FlagSet::Get(const std::string& name) const {
  auto it = flags_.find(name);
  return it == flags_.end() ? "" : it->second.value;
}

bool FlagSet::GetBool(const std::string& name) const { return Get(name) == "true"; }

std::string FlagSet::Usage() const {
  std::string out = absl::StrCat("Flags of rudder ", command_, ":\n");
  for (const auto& [name, flag] : flags_) {
    absl::StrAppend(&out, "  --", name, flag.is_bool ? "" : " VALUE", "\n      ", flag.help);
    if (!flag.default_value.empty() && flag.default_value != "false") {
      absl::StrAppend(&out, " (default ", flag.default_value, ")");
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace rudder::cmd
