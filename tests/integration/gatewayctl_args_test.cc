// test-needs: integration
// gatewayctl's numeric options, from outside: junk, signs, overflow and
// out-of-range values are refused with exit 2 and a message naming the
// option (before any file is opened), and a good value gets past argument
// parsing (the missing configuration then fails with exit 1).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/gatewayd_process.h"

namespace gw::testing {
namespace {

const std::string kNoConfig = "/nonexistent/gatewayd.toml";

struct CtlResult {
  int status;
  std::string err;
};

CtlResult ctl(std::vector<std::string> args) {
  args.insert(args.begin(), gatewayctl_path());
  std::string out, err;
  int status = run_command(args, &out, &err);
  return {status, err};
}

TEST(GatewayctlArgsTest, MessagesLimitAndAfterMustBeNumbers) {
  for (const char* bad : {"", "abc", "-5", "+5", "0", "5x", " 5", "99999999999999999999"}) {
    CtlResult r = ctl({"messages", "list", "--config", kNoConfig, "--limit", bad});
    EXPECT_EQ(r.status, 2) << "--limit '" << bad << "'";
    EXPECT_NE(r.err.find("--limit needs a number"), std::string::npos) << r.err;
  }
  for (const char* bad : {"x", "-1", "1.5"}) {
    CtlResult r = ctl({"messages", "list", "--config", kNoConfig, "--after", bad});
    EXPECT_EQ(r.status, 2) << "--after '" << bad << "'";
    EXPECT_NE(r.err.find("--after needs a message id"), std::string::npos) << r.err;
  }
  CtlResult good = ctl({"messages", "list", "--config", kNoConfig, "--limit", "5", "--after", "0"});
  EXPECT_EQ(good.status, 1) << good.err;
  EXPECT_EQ(good.err.find("needs a"), std::string::npos) << good.err;
}

TEST(GatewayctlArgsTest, RecordsMessageMustBeAPositiveId) {
  for (const char* bad : {"0", "-3", "7z", ""}) {
    CtlResult r = ctl({"records", "export", "--config", kNoConfig, "--message", bad});
    EXPECT_EQ(r.status, 2) << "--message '" << bad << "'";
    EXPECT_NE(r.err.find("--message needs a message id"), std::string::npos) << r.err;
  }
}

TEST(GatewayctlArgsTest, SendPortTimeoutAndRetriesAreChecked) {
  const std::string file = corpus_dir() + "/adt_a01.hl7";
  for (const char* to : {"127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:80x", "127.0.0.1:", ":2575",
                         "127.0.0.1", "127.0.0.1:-1"}) {
    CtlResult r = ctl({"send", "--to", to, file});
    EXPECT_EQ(r.status, 2) << "--to '" << to << "'";
    EXPECT_NE(r.err.find("--to expects HOST:PORT"), std::string::npos) << r.err;
  }
  for (const char* ms : {"0", "abc", "3600001", "-10"}) {
    CtlResult r = ctl({"send", "--to", "127.0.0.1:1", "--timeout-ms", ms, file});
    EXPECT_EQ(r.status, 2) << "--timeout-ms '" << ms << "'";
    EXPECT_NE(r.err.find("--timeout-ms needs milliseconds"), std::string::npos) << r.err;
  }
  for (const char* n : {"-1", "many", "1001"}) {
    CtlResult r = ctl({"send", "--to", "127.0.0.1:1", "--retries", n, file});
    EXPECT_EQ(r.status, 2) << "--retries '" << n << "'";
    EXPECT_NE(r.err.find("--retries needs a number"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace gw::testing
