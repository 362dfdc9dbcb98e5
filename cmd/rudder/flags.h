// A small command-line parser for rudder's subcommands: `--name=value`, `--name value` and
// boolean `--name`, with a clear error for anything unknown or malformed.
#ifndef RUDDER_CMD_RUDDER_FLAGS_H_
#define RUDDER_CMD_RUDDER_FLAGS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rudder::cmd {

// The flags one subcommand accepts, and their parsed values.
class FlagSet {
 public:
  explicit FlagSet(std::string command) : command_(std::move(command)) {}

  // Declares a flag taking a value, with its default and a one-line help text.
  void String(const std::string& name, std::string default_value, std::string help);
  // Declares a boolean flag (`--name`, `--name=true|false`).
  void Bool(const std::string& name, bool default_value, std::string help);

  // Parses `args` (without the program and subcommand names). Unknown flags, missing values
  // and malformed booleans are InvalidArgument errors naming the flag. Positional arguments
  // are kept in order.
  absl::Status Parse(const std::vector<std::string>& args);

  std::string Get(const std::string& name) const;
  bool GetBool(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  // "Flags of rudder demo:\n  --data-dir string  ... (default ...)".
  std::string Usage() const;

 private:
  struct Flag {
    bool is_bool = false;
    std::string value;
    std::string default_value;
    std::string help;
  };
  std::string command_;
  std::map<std::string, Flag> flags_;
  std::vector<std::string> positional_;
};

}  // namespace rudder::cmd

#endif  // RUDDER_CMD_RUDDER_FLAGS_H_
