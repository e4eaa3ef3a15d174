// gatewayctl consent's own checks, before any request: usage errors exit 2,
// a file that cannot be a Consent or an id that is not a FHIR id exits 1, and
// a gatewayd that is not there is a clear error (exit 1), not a crash.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gateway/cli/ctl_commands.h"

namespace gw::cli {
namespace {

std::string temp_file(const std::string& name, const std::string& content) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("ctl-consent-" + std::to_string(::getpid()) + "-" + name))
                               .string();
  std::ofstream(path) << content;
  return path;
}

TEST(CtlConsentTest, UsageErrorsExitTwo) {
  EXPECT_EQ(ctl_consent({}), 2);
  EXPECT_EQ(ctl_consent({"apply"}), 2);                                  // no --url
  EXPECT_EQ(ctl_consent({"apply", "--url", "https://127.0.0.1:1"}), 2);  // no file
  EXPECT_EQ(ctl_consent({"show", "--url", "https://127.0.0.1:1", "--cert", "c.pem", "x"}),
            2);                                                         // --cert without --key
  EXPECT_EQ(ctl_consent({"list", "--url", "https://127.0.0.1:1"}), 2);  // no --patient
  EXPECT_EQ(ctl_consent({"revoke", "--url", "https://127.0.0.1:1", "x"}), 2);
  EXPECT_EQ(ctl_consent({"show", "--url", "https://127.0.0.1:1", "--bogus", "x"}), 2);
}

TEST(CtlConsentTest, BadFilesIdsAndUrlsExitOne) {
  const std::string not_json = temp_file("a.json", "not json");
  const std::string bad_id = temp_file("b.json", R"({"resourceType":"Consent","id":"../x"})");
  const std::string good = temp_file("c.json", R"({"resourceType":"Consent"})");
  EXPECT_EQ(ctl_consent({"apply", "--url", "https://127.0.0.1:1", not_json}), 1);
  EXPECT_EQ(ctl_consent({"apply", "--url", "https://127.0.0.1:1", bad_id}), 1);
  EXPECT_EQ(ctl_consent({"apply", "--url", "https://127.0.0.1:1", "/nonexistent/file.json"}), 1);
  EXPECT_EQ(ctl_consent({"show", "--url", "https://127.0.0.1:1", "a/b"}), 1);
  EXPECT_EQ(ctl_consent({"show", "--url", "http://127.0.0.1:1", "c1"}), 1);  // not https
  // Nothing listens on port 1: a clear error, exit 1.
  EXPECT_EQ(ctl_consent({"apply", "--url", "https://127.0.0.1:1", good}), 1);
  for (const std::string& f : {not_json, bad_id, good}) std::filesystem::remove(f);
}

}  // namespace
}  // namespace gw::cli
