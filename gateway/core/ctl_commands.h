// gatewayctl subcommands. Each takes the arguments after its name and returns
// the process exit status; they print to stdout/stderr.
#pragma once

#include <string>
#include <vector>

namespace gw::core {

int ctl_send(const std::vector<std::string>& args);
int ctl_messages(const std::vector<std::string>& args);

// Splits a file's content into HL7 v2 messages: normalizes \r\n and \n
// segment separators to \r, drops batch envelope segments (FHS, BHS, BTS,
// FTS) and starts a new message at every MSH. Lines before the first MSH that
// are not envelope segments are returned in *stray (count), not sent.
std::vector<std::string> split_messages(const std::string& content, size_t* stray_lines);

}  // namespace gw::core
