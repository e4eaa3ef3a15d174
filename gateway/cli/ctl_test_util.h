// For gatewayctl's tests: runs one command in-process and captures what it
// prints, as an operator would see it.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/cli/gatewayctl.h"

namespace gw::cli::testing {

struct CtlRun {
  int status;
  std::string out, err;
};

inline CtlRun run(std::vector<std::string> args) {
  args.insert(args.begin(), "gatewayctl");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  CtlRun r;
  r.status = run_gatewayctl(static_cast<int>(argv.size()), argv.data());
  r.out = ::testing::internal::GetCapturedStdout();
  r.err = ::testing::internal::GetCapturedStderr();
  return r;
}

}  // namespace gw::cli::testing
