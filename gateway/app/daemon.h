// gatewayd's whole run, from arguments to exit status (the process's main
// only calls this). Runs in the foreground, systemd style, logging logfmt
// lines to stdout.
#pragma once

namespace gw::app {

// Parses `gatewayd --config FILE [--check] | --version | --help`, starts
// every room and serves until SIGTERM/SIGINT. Returns the exit status:
// 0 after a clean stop, 1 when the start failed, 2 for bad arguments.
int run_gatewayd(int argc, char** argv);

}  // namespace gw::app
