// gatewayctl transfer: usage errors (exit 2), send/request's own checks and
// an absent gatewayd (exit 1), and list/show on a transfer store filled
// through TransferStore and still open for writing, as gatewayd holds it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gateway/cli/ctl_commands.h"
#include "gateway/cli/ctl_test_util.h"
#include "gateway/cli/gatewayctl.h"
#include "gateway/transfer/transfer_store.h"
#include "ledger-client/keccak/keccak.h"

namespace gw::cli {
namespace {

namespace fs = std::filesystem;
using transfer::OutgoingState;

using testing::CtlRun;
using testing::run;

class CtlTransferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gwctl-transfer-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "state");
    config_ = (dir_ / "gatewayd.toml").string();
    std::ofstream(config_) << "[gateway]\nstate_dir = \"" << (dir_ / "state").string()
                           << "\"\n[channel.adt]\nlisten = \"127.0.0.1:0\"\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string store_path() const { return (dir_ / "state" / "transfers.db").string(); }

  fs::path dir_;
  std::string config_;
};

const char* kUrl = "https://127.0.0.1:1";

// One line of `transfer show`: the name, padded, and its value.
std::string field(const std::string& name, const std::string& value) {
  std::string line = name + ":";
  line.resize(24, ' ');
  return line + " " + value + "\n";
}

TEST_F(CtlTransferTest, UsageErrorsExitTwo) {
  EXPECT_EQ(run({"transfer"}).status, 2);
  EXPECT_EQ(run({"transfer", "frobnicate"}).status, 2);
  // send: --url, --patient, --to and --purpose are required; --cert needs --key.
  EXPECT_EQ(ctl_transfer({"send", "--patient", "Patient/p1", "--to", "org", "--purpose", "TREAT"}),
            2);
  EXPECT_EQ(ctl_transfer({"send", "--url", kUrl, "--to", "org", "--purpose", "TREAT"}), 2);
  EXPECT_EQ(ctl_transfer({"send", "--url", kUrl, "--patient", "Patient/p1", "--purpose", "TREAT"}),
            2);
  EXPECT_EQ(ctl_transfer({"send", "--url", kUrl, "--patient", "Patient/p1", "--to", "org"}), 2);
  EXPECT_EQ(ctl_transfer({"send", "--url", kUrl, "--cert", "c.pem", "--patient", "Patient/p1",
                          "--to", "org", "--purpose", "TREAT"}),
            2);
  // Options of the other verb, a stray argument, an option given twice.
  EXPECT_EQ(ctl_transfer({"send", "--url", kUrl, "--patient", "Patient/p1", "--to", "org", "--from",
                          "org2", "--purpose", "TREAT"}),
            2);
  EXPECT_EQ(ctl_transfer({"send", "--url", kUrl, "--patient", "Patient/p1", "--to", "org",
                          "--purpose", "TREAT", "extra"}),
            2);
  EXPECT_EQ(ctl_transfer({"send", "--url", kUrl, "--patient", "Patient/p1", "--to", "org", "--to",
                          "org2", "--purpose", "TREAT"}),
            2);
  EXPECT_EQ(ctl_transfer({"request", "--url", kUrl, "--from", "org", "--purpose", "TREAT"}), 2);
  // list / show: --config required, --incoming and --requests exclusive,
  // show needs one id and an incoming id needs its sender.
  EXPECT_EQ(run({"transfer", "list"}).status, 2);
  EXPECT_EQ(run({"transfer", "list", "--config", config_, "--incoming", "--requests"}).status, 2);
  EXPECT_EQ(run({"transfer", "list", "--config", config_, "--limit", "0"}).status, 2);
  for (const char* bad : {"", "abc", "-5", "+5", "5x", " 5", "10001", "99999999999999999999"}) {
    const CtlRun r = run({"transfer", "list", "--config", config_, "--limit", bad});
    EXPECT_EQ(r.status, 2) << "--limit '" << bad << "'";
    EXPECT_NE(r.err.find("--limit needs a number from 1 to 10000"), std::string::npos) << r.err;
  }
  EXPECT_EQ(run({"transfer", "show", "--config", config_}).status, 2);
  EXPECT_EQ(run({"transfer", "show", "--config", config_, "--incoming", "1"}).status, 2);
  const CtlRun bad = run({"transfer", "show", "--config", config_, "1", "2"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_EQ(bad.err, ctl_usage("transfer"));
}

TEST_F(CtlTransferTest, SendAndRequestRefuseBadValuesAndAnAbsentGatewayd) {
  const std::vector<std::string> send = {"send", "--url",     kUrl,   "--to",
                                         "org",  "--purpose", "TREAT"};
  auto with = [](std::vector<std::string> a, std::vector<std::string> more) {
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  EXPECT_EQ(ctl_transfer(with(send, {"--patient", "Patient/../x"})), 1);
  EXPECT_EQ(ctl_transfer(with(send, {"--patient", "p1", "--reason", std::string(257, 'r')})), 1);
  EXPECT_EQ(ctl_transfer({"send", "--url", "http://127.0.0.1:1", "--patient", "p1", "--to", "org",
                          "--purpose", "TREAT"}),
            1);  // not https
  // Nothing listens on port 1: a clear error, exit 1.
  EXPECT_EQ(ctl_transfer(with(send, {"--patient", "Patient/p1"})), 1);
  const std::vector<std::string> request = {"request", "--url",     kUrl,   "--from",
                                            "org",     "--purpose", "TREAT"};
  for (const char* id : {"no-bar", "|value", "system|"}) {
    EXPECT_EQ(ctl_transfer(with(request, {"--patient-identifier", id})), 1) << id;
  }
  EXPECT_EQ(ctl_transfer(with(request, {"--patient-identifier", "urn:oid:1.2|123"})), 1);
}

TEST_F(CtlTransferTest, AnAbsentStoreIsSaidAndNotCreated) {
  const CtlRun r = run({"transfer", "list", "--config", config_});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no transfer store at " + store_path()), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(store_path())) << "list created a transfer store";
  EXPECT_EQ(run({"transfer", "list", "--config", "/nonexistent/gatewayd.toml"}).status, 1);
}

TEST_F(CtlTransferTest, ListAndShowReadTheStoreWhileItIsOpenForWriting) {
  auto opened = transfer::TransferStore::open(store_path());
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  transfer::TransferStore& store = **opened;
  transfer::OutgoingRequest push;
  push.recipient.fill(0xb2);
  push.patient_token.fill(0x7c);
  push.purpose = 1;          // ETREAT
  push.categories = 0b1001;  // demographics, laboratory
  push.exclusions = 0b100;   // PSY
  push.emergency = true;
  push.emergency_reason = "unconscious-patient-arrival";
  auto delivered = store.create_outgoing(push, 1'700'000'000'000);
  ASSERT_TRUE(delivered.ok());
  transfer::Hash256 root{};
  root.fill(0x42);
  ASSERT_TRUE(store.set_prepared(*delivered, root, 17, "sealed", 1'700'000'000'100).ok());
  ASSERT_TRUE(store.set_recording(*delivered, 9, 1'700'000'000'200).ok());
  ASSERT_TRUE(store.set_recorded(*delivered, "0xfeed", true, 1'700'000'000'300).ok());
  ASSERT_TRUE(
      store.finish_outgoing(*delivered, OutgoingState::kDelivered, "", 1'700'000'000'400).ok());
  transfer::OutgoingRequest other = push;
  other.emergency = false;
  other.emergency_reason.clear();
  auto refused = store.create_refused(other, "no consent", 1'700'000'001'000);
  ASSERT_TRUE(refused.ok());
  transfer::IncomingTransfer in;
  in.sender.fill(0xa1);
  in.transfer_id = 33;
  in.patient_token.fill(0x7c);
  in.record_count = 4;
  in.message_id = 12;
  in.tx_hash = "0xbeef";
  ASSERT_TRUE(store.record_incoming(in).ok());
  transfer::PullRequest pull;
  pull.custodian.fill(0xa1);
  pull.patient_token.fill(0x7c);
  auto asked = store.create_request(pull, 1'700'000'002'000);
  ASSERT_TRUE(asked.ok());

  const std::string token_hex = ledger::to_hex(push.patient_token);
  const CtlRun list = run({"transfer", "list", "--config", config_});
  ASSERT_EQ(list.status, 0) << list.err;
  // Newest first: the refusal with its reason, then the delivered one.
  const size_t refused_at = list.out.find("\n" + std::to_string(*refused) + "  refused  0xb2b2");
  const size_t delivered_at =
      list.out.find("\n" + std::to_string(*delivered) + "  delivered  0xb2b2");
  ASSERT_NE(refused_at, std::string::npos) << list.out;
  ASSERT_NE(delivered_at, std::string::npos) << list.out;
  EXPECT_LT(refused_at, delivered_at);
  EXPECT_NE(list.out.find("no consent"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("  ETREAT  17  true  "), std::string::npos) << list.out;
  EXPECT_EQ(run({"transfer", "list", "--config", config_, "--limit", "1"}).out.find("delivered"),
            std::string::npos);

  const CtlRun show = run({"transfer", "show", "--config", config_, std::to_string(*delivered)});
  ASSERT_EQ(show.status, 0) << show.err;
  for (const std::string& line :
       {field("state", "delivered"), field("recipient", ledger::to_hex_0x(push.recipient)),
        field("purpose", "ETREAT"), field("categories", "demographics,laboratory"),
        field("excluded_labels", "PSY"), field("records", "17"),
        field("root", ledger::to_hex_0x(root)), field("tx_hash", "0xfeed"),
        field("flagged_emergency", "true"), field("created", "2023-11-14T22:13:20Z")}) {
    EXPECT_NE(show.out.find(line), std::string::npos) << line << show.out;
  }
  // The token only by its prefix, the emergency reason not at all.
  EXPECT_NE(show.out.find("0x7c7c7c7c7c7c..."), std::string::npos) << show.out;
  for (const CtlRun& r : {list, show}) {
    EXPECT_EQ(r.out.find(token_hex), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("unconscious"), std::string::npos) << r.out;
  }

  const CtlRun json = run({"transfer", "show", "--config", config_, "--json", "1"});
  ASSERT_EQ(json.status, 0) << json.err;
  EXPECT_NE(json.out.find("\"tx_hash\": \"0xfeed\""), std::string::npos) << json.out;

  const CtlRun incoming = run({"transfer", "list", "--config", config_, "--incoming"});
  ASSERT_EQ(incoming.status, 0) << incoming.err;
  EXPECT_NE(incoming.out.find(ledger::to_hex_0x(in.sender) + "  33  stored"), std::string::npos)
      << incoming.out;
  const CtlRun one_in = run({"transfer", "show", "--config", config_, "--incoming", "--sender",
                             ledger::to_hex_0x(in.sender), "33"});
  ASSERT_EQ(one_in.status, 0) << one_in.err;
  EXPECT_NE(one_in.out.find(field("message_id", "12")), std::string::npos) << one_in.out;
  EXPECT_EQ(
      run({"transfer", "show", "--config", config_, "--incoming", "--sender", "0x12", "33"}).status,
      1);

  const CtlRun requests = run({"transfer", "list", "--config", config_, "--requests"});
  ASSERT_EQ(requests.status, 0) << requests.err;
  EXPECT_NE(requests.out.find("\n" + std::to_string(*asked) + "  pending  0xa1a1"),
            std::string::npos)
      << requests.out;

  // A row written after the reader's last look is seen by the next one.
  ASSERT_TRUE(store
                  .update_request(*asked, transfer::RequestState::kRefused, std::nullopt,
                                  "custodian: no consent", 1'700'000'003'000)
                  .ok());
  const CtlRun shown =
      run({"transfer", "show", "--config", config_, "--request", std::to_string(*asked)});
  ASSERT_EQ(shown.status, 0) << shown.err;
  EXPECT_NE(shown.out.find(field("state", "refused")), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("custodian: no consent"), std::string::npos) << shown.out;

  const CtlRun missing = run({"transfer", "show", "--config", config_, "999"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("no such outgoing transfer: 999"), std::string::npos) << missing.err;

  // With gatewayd stopped (the store closed), it is still read.
  opened->reset();
  const CtlRun closed = run({"transfer", "list", "--config", config_});
  EXPECT_EQ(closed.status, 0) << closed.err;
  EXPECT_NE(closed.out.find("  delivered  "), std::string::npos) << closed.out;
}

TEST_F(CtlTransferTest, ReadOnlyOpenRefusesAFileOfAnotherKind) {
  std::ofstream(store_path()) << "not a database at all, just some text";
  const CtlRun r = run({"transfer", "list", "--config", config_});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("transfer store"), std::string::npos) << r.err;
}

// What the commands rely on: the read-only store reads, and refuses to write.
TEST_F(CtlTransferTest, TheReadOnlyStoreRefusesWrites) {
  EXPECT_EQ(transfer::TransferStore::open_read_only(store_path()).error().code(),
            StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(store_path()));
  { ASSERT_TRUE(transfer::TransferStore::open(store_path()).ok()); }
  auto ro = transfer::TransferStore::open_read_only(store_path());
  ASSERT_TRUE(ro.ok()) << ro.error().message();
  transfer::OutgoingRequest push;
  push.recipient.fill(0xb2);
  EXPECT_FALSE((*ro)->create_outgoing(push, 1).ok());
  auto listed = (*ro)->list_outgoing(std::nullopt, 10);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

}  // namespace
}  // namespace gw::cli
