// gatewayctl, the operator CLI: every command, by name, with its help. One
// table (gatewayctl.cc) names each command and its verbs with their options,
// help and handler; dispatch, `gatewayctl --help` and each command's usage
// are all generated from it, so the help cannot miss a command.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gw::cli {

// Runs `gatewayctl COMMAND ARGS...` and returns the process exit status.
int run_gatewayctl(int argc, char** argv);

// A handler gets the arguments after the command's name (for a command with
// verbs, the verb first) and returns the process exit status.
using CtlHandler = int (*)(const std::vector<std::string>& args);

struct CtlVerb {
  std::string_view name;
  std::string_view synopsis;  // its options, after "gatewayctl COMMAND VERB"
  std::string_view help;      // what it does, one or more lines ('\n'); may be empty
  CtlHandler handler;         // nullptr: the command's handler
};

struct CtlCommand {
  std::string_view name;
  std::string_view synopsis;  // its options, for a command without verbs
  std::string_view help;      // for a command without verbs
  CtlHandler handler;
  std::vector<CtlVerb> verbs;
  std::string_view notes;  // printed after the command's usage (may be empty)
};

// The table, in help order.
const std::vector<CtlCommand>& ctl_commands();
// `gatewayctl --help`.
std::string ctl_help();
// "usage: gatewayctl COMMAND VERB OPTIONS" for each verb of `command`, then
// its notes: what a command prints when its arguments are wrong.
std::string ctl_usage(std::string_view command);

}  // namespace gw::cli
