// gatewayctl, the operator CLI: every command, by name, with its help.
#pragma once

namespace gw::cli {

// Runs `gatewayctl COMMAND ARGS...` and returns the process exit status.
int run_gatewayctl(int argc, char** argv);

}  // namespace gw::cli
