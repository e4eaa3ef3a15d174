// gatewayctl's help against its command table, and the table against the
// verbs the command files actually handle: a command or verb added in one
// place and not the other fails here.
#include "gateway/cli/gatewayctl.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/cli/ctl_test_util.h"
#include "gateway/keys/key_options.h"

namespace gw::cli {
namespace {

using testing::CtlRun;
using testing::run;

const CtlVerb* find_verb(const CtlCommand& c, std::string_view name) {
  for (const CtlVerb& v : c.verbs)
    if (v.name == name) return &v;
  return nullptr;
}

const CtlCommand* find_command(std::string_view name) {
  for (const CtlCommand& c : ctl_commands())
    if (c.name == name) return &c;
  return nullptr;
}

TEST(GatewayctlHelpTest, HelpNamesEveryCommandAndVerbOfTheTable) {
  const CtlRun help = run({"--help"});
  EXPECT_EQ(help.status, 0);
  ASSERT_FALSE(ctl_commands().empty());
  for (const CtlCommand& c : ctl_commands()) {
    ASSERT_NE(c.handler, nullptr) << c.name;
    if (c.verbs.empty()) {
      EXPECT_NE(help.out.find("\n  " + std::string(c.name) + (c.synopsis.empty() ? "\n" : " ")),
                std::string::npos)
          << "help misses the command " << c.name << ":\n"
          << help.out;
    }
    for (const CtlVerb& v : c.verbs) {
      const std::string line = "\n  " + std::string(c.name) + " " + std::string(v.name);
      EXPECT_NE(help.out.find(line + (v.synopsis.empty() ? "\n" : " ")), std::string::npos)
          << "help misses " << c.name << " " << v.name << ":\n"
          << help.out;
      // The command's own usage (printed on a wrong argument) names it too.
      EXPECT_NE(
          ctl_usage(c.name).find("gatewayctl " + std::string(c.name) + " " + std::string(v.name)),
          std::string::npos)
          << ctl_usage(c.name);
    }
  }
  // Without arguments: the same text, on stderr, as a usage error.
  const CtlRun bare = run({});
  EXPECT_EQ(bare.status, 2);
  EXPECT_EQ(bare.err, help.out);
}

TEST(GatewayctlHelpTest, TheVerbsOnceMissingFromTheHelpAreInIt) {
  const std::string help = run({"help"}).out;
  for (const char* line :
       {"tpm ek ", "tpm quote ", "tpm certify-ak ", "ledger propose-rekey ",
        "ledger propose-quorum ", "ledger propose-policy ", "ledger propose-custody ",
        "ledger apply-custody ", "ledger propose-suspend ", "ledger propose-reinstate "}) {
    EXPECT_NE(help.find(std::string("\n  ") + line), std::string::npos) << line;
  }
}

// Every verb a command file compares its first argument with (`sub ==
// "..."`, `args[0] == "..."`) is a verb of that command in the table.
TEST(GatewayctlHelpTest, EveryVerbTheCommandFilesHandleIsInTheTable) {
  const std::map<std::string, std::string> command_of_file = {
      {"ctl_messages.cc", "messages"},
      {"ctl_records.cc", "records"},
      {"ctl_tpm.cc", "tpm"},
      {"ctl_ledger.cc", "ledger"},
      {"ctl_governance.cc", "ledger"},
      {"ctl_outbox.cc", "ledger"},
      {"ctl_audit.cc", "ledger"},
      {"ctl_outbound.cc", "outbound"},
      {"ctl_transfer.cc", "transfer"},
      {"ctl_transfer_state.cc", "transfer"},
      {"ctl_audit_report.cc", "audit"},
      {"ctl_audit_trail.cc", "audit"},
  };
  const std::regex compared(R"re((?:\bsub|args\[0\]|args\.at\(0\)) [!=]= "([^"]+)")re");
  const std::filesystem::path dir = std::filesystem::path(GW_SOURCE_DIR) / "gateway" / "cli";
  size_t files = 0, verbs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string file = entry.path().filename().string();
    if (!file.starts_with("ctl_") || !file.ends_with(".cc")) continue;
    ++files;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    const std::string source = text.str();
    auto it = command_of_file.find(file);
    for (std::sregex_iterator m(source.begin(), source.end(), compared), end; m != end; ++m) {
      const std::string verb = (*m)[1];
      ++verbs;
      ASSERT_NE(it, command_of_file.end())
          << file << " dispatches on a verb ('" << verb << "'): name its command here";
      const CtlCommand* c = find_command(it->second);
      ASSERT_NE(c, nullptr) << it->second;
      EXPECT_NE(find_verb(*c, verb), nullptr)
          << file << " handles '" << c->name << " " << verb << "', which the table lacks";
    }
  }
  EXPECT_GE(files, 9u);
  EXPECT_GE(verbs, 20u);  // the scan found the dispatchers
}

TEST(GatewayctlHelpTest, UnknownCommandsAndVerbsAreUsageErrors) {
  const CtlRun unknown = run({"frobnicate"});
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.err.find("unknown command 'frobnicate'"), std::string::npos) << unknown.err;
  const CtlRun verb = run({"ledger", "frobnicate", "--config", "/nonexistent/gatewayd.toml"});
  EXPECT_EQ(verb.status, 2);
  EXPECT_EQ(verb.err, ctl_usage("ledger"));
  const CtlRun tpm = run({"tpm"});
  EXPECT_EQ(tpm.status, 2);
  EXPECT_EQ(tpm.err, ctl_usage("tpm"));
}

TEST(GatewayctlHelpTest, VersionAnswers) {
  const CtlRun v = run({"version"});
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.out.rfind("gatewayctl ", 0), 0u) << v.out;
  EXPECT_EQ(run({"--version"}).out, v.out);
}

TEST(GatewayctlOutboundTest, UsageErrorsAndAQueueThatDoesNotExistYet) {
  EXPECT_EQ(run({"outbound"}).status, 2);
  const CtlRun bad = run({"outbound", "list", "--destination", "x", "--config", "/x.toml"});
  EXPECT_EQ(bad.status, 2) << "--destination belongs to retry";
  EXPECT_EQ(bad.err, ctl_usage("outbound"));
  EXPECT_EQ(run({"outbound", "retry", "--item", "0", "--config", "/x.toml"}).status, 1);

  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("gwctl-outbound-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string config = (dir / "gatewayd.toml").string();
  {
    std::ofstream f(config);
    f << "[gateway]\nstate_dir = \"" << (dir / "state").string()
      << "\"\n[channel.adt]\nlisten = \"127.0.0.1:0\"\n";
  }
  const CtlRun none = run({"outbound", "status", "--config", config});
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.err.find("no outbound queue at " + (dir / "state" / "outbound.db").string()),
            std::string::npos)
      << none.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "state" / "outbound.db")) << "status created a queue";
  std::filesystem::remove_all(dir);
}

// The payload key comes from the key store: provision prints it, member-entry
// puts it in the entry, rotate-payload-key replaces it in the entry, and the
// old --encryption-key option is refused with the reason. The software store
// (development only) keeps this in-process; keys_test runs it on swtpm.
TEST(GatewayctlPayloadKeyTest, MemberEntryTakesTheKeyStoresPayloadKey) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("gwctl-payload-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string config = (dir / "gatewayd.toml").string();
  {
    std::ofstream f(config);
    f << "[gateway]\nstate_dir = \"" << (dir / "state").string()
      << "\"\n[keys]\nstore = \"software\"\nconsortium_id = \"test\"\n"
      << "[channel.adt]\nlisten = \"127.0.0.1:0\"\n";
  }
  // What the key store itself says the current public key is.
  auto store_key = [&]() -> std::string {
    auto cfg = config::load_config(config);
    if (!cfg) return "config: " + cfg.error().message();
    auto store = keys::open_key_store(keys::key_store_options(*cfg));
    if (!store.ok()) return store.error().message();
    auto key = (*store)->payload_public_key();
    return key.ok() ? keys::payload_public_key_hex(key->public_key) : key.error().message();
  };
  const std::vector<std::string> entry_args = {"ledger",
                                               "member-entry",
                                               "--config",
                                               config,
                                               "--org-id",
                                               "urn:oid:1.2.3",
                                               "--name",
                                               "Test Hospital",
                                               "--tls-fingerprint",
                                               std::string(64, 'a')};

  const CtlRun provisioned = run({"tpm", "provision", "--config", config});
  ASSERT_EQ(provisioned.status, 0) << provisioned.err;
  const std::string first = store_key();
  ASSERT_EQ(first.size(), 64u) << first;
  EXPECT_NE(provisioned.out.find("payload public key (X25519, generation 1): " + first + "\n"),
            std::string::npos)
      << provisioned.out;

  const CtlRun entry = run(entry_args);
  ASSERT_EQ(entry.status, 0) << entry.err;
  EXPECT_NE(entry.out.find("\"encryption_key\": \"" + first + "\""), std::string::npos)
      << entry.out;

  const CtlRun rotated = run({"tpm", "rotate-payload-key", "--config", config});
  ASSERT_EQ(rotated.status, 0) << rotated.err;
  const std::string second = store_key();
  ASSERT_EQ(second.size(), 64u) << second;
  EXPECT_NE(second, first);
  EXPECT_NE(rotated.out.find("payload public key (X25519, generation 2): " + second + "\n"),
            std::string::npos)
      << rotated.out;
  EXPECT_NE(rotated.out.find("ledger propose-rekey"), std::string::npos) << rotated.out;
  const CtlRun rekey_entry = run(entry_args);
  ASSERT_EQ(rekey_entry.status, 0) << rekey_entry.err;
  EXPECT_NE(rekey_entry.out.find("\"encryption_key\": \"" + second + "\""), std::string::npos)
      << rekey_entry.out;

  std::vector<std::string> with_key = entry_args;
  with_key.insert(with_key.end(), {"--encryption-key", std::string(64, '1')});
  const CtlRun refused = run(with_key);
  EXPECT_EQ(refused.status, 1);
  EXPECT_EQ(refused.out, "");
  EXPECT_NE(refused.err.find("--encryption-key is no longer accepted: the X25519 payload key now "
                             "comes from the key store"),
            std::string::npos)
      << refused.err;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gw::cli
