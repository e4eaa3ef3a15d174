// test-needs: integration swtpm anvil
// Deliveries a hostile or broken member could send, straight to a member
// API with a member's own certificate: each is refused with its reason code
// and nothing is stored. The test holds the members' TLS keys (their pki)
// but not their payload keys (TPM-sealed), so it seals with fresh X25519
// keys where an envelope is needed.
#include <gtest/gtest.h>

#include "tests/integration/transfer_consent.h"
#include "tests/integration/transfer_delivery_fixture.h"

namespace gw::testing {
namespace {

const std::string kAdmit =
    "MSH|^~\\&|ADT|HOSPA|GW|GW|20260101120000||ADT^A01|F-ADT-1|P|2.5.1\r"
    "EVN|A01|20260101120000\r"
    "PID|1||MRN-F100^^^HOSPA^MR||Refusova^Ida||19700101|F\r"
    "PV1|1|O|CLINIC^1^A||||||||MED||||||||V-F100\r";

class TransferRefusalTest : public TransferDeliveryFixture {};

TEST_F(TransferRefusalTest, HostileDeliveriesAreRefusedAndNothingIsStored) {
  ASSERT_NO_FATAL_FAILURE(SetUpConsortium());
  const transfer::Address nobody{0x77, 0x77, 0x77};

  // B's certificate calls A's member API.
  PeerAnswer garbage = deliver(b_, a_, "{\"format\": \"not an envelope\"");
  EXPECT_EQ(garbage.status, 400) << garbage.body;
  EXPECT_EQ(garbage.code, "MALFORMED");
  PeerAnswer impostor = deliver(b_, a_, envelope(a_.account, a_.account, 1));
  EXPECT_EQ(impostor.status, 403) << impostor.body;
  EXPECT_EQ(impostor.code, "SENDER_MISMATCH");
  PeerAnswer elsewhere = deliver(b_, a_, envelope(b_.account, nobody, 1));
  EXPECT_EQ(elsewhere.status, 403) << elsewhere.body;
  EXPECT_EQ(elsewhere.code, "NOT_ADDRESSED_HERE");
  // Never recorded: the ledger is checked before any key, so sealed to A's
  // registered key or to a stranger's, the answer is the same 503, and the
  // id stays free for a real transfer later (nothing recorded as refused).
  const transfer::PublicKey a_key = payload_key_of(a_);
  for (auto key :
       {std::optional<transfer::PublicKey>(a_key), std::optional<transfer::PublicKey>()}) {
    PeerAnswer unrecorded = deliver(b_, a_, envelope(b_.account, a_.account, 424242, key));
    EXPECT_EQ(unrecorded.status, 503) << unrecorded.body;
    EXPECT_EQ(unrecorded.code, "NOT_RECORDED");
  }
  EXPECT_TRUE(incoming_at(a_).empty());
  EXPECT_EQ(count(a_.gw->output(), "event=transfer.received "), 0u);

  // A real transfer A -> B, then A's stored envelope delivered again with
  // A's certificate: answered stored, nothing new at B. A tampered copy of
  // the same id is answered the same way (B checks "received before" ahead
  // of opening it) and changes nothing either.
  ASSERT_NO_FATAL_FAILURE(send_hl7(a_, "admit", kAdmit));
  std::vector<std::string> patients = patients_named(a_, "MRN-F100");
  ASSERT_EQ(patients.size(), 1u);
  ASSERT_FALSE(write_consent(a_, grant_consent(patients[0], b_.org_id, "TREAT")).empty());
  rest::testing::Reply accepted = a_.call("POST", "/Patient/" + patients[0] + "/$transfer",
                                          transfer_params(b_.org_id, "TREAT"));
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  const std::string id = transfer_id_of(accepted.body);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(wait_until(
      [&] {
        auto store = transfer::TransferStore::open_read_only(a_.dir + "/state/transfers.db");
        if (!store.ok()) return false;
        auto t = (*store)->outgoing(std::stoll(id));
        return t.ok() && t->has_value() && (*t)->state == transfer::OutgoingState::kDelivered;
      },
      90s))
      << a_.gw->output() << "\n---- B ----\n"
      << b_.gw->output();
  std::string sent;
  {
    auto store = transfer::TransferStore::open_read_only(a_.dir + "/state/transfers.db");
    ASSERT_TRUE(store.ok());
    auto t = (*store)->outgoing(std::stoll(id));
    ASSERT_TRUE(t.ok() && t->has_value());
    sent = (*t)->envelope;
  }
  ASSERT_FALSE(sent.empty());
  ASSERT_EQ(incoming_at(b_).size(), 1u);
  PeerAnswer replay = deliver(a_, b_, sent);
  EXPECT_EQ(replay.status, 200) << replay.body;
  EXPECT_NE(replay.body.find("\"already\":true"), std::string::npos) << replay.body;
  PeerAnswer forged_again =
      deliver(a_, b_, envelope(a_.account, b_.account, std::stoull(id), payload_key_of(b_)));
  EXPECT_EQ(forged_again.status, 200) << forged_again.body;
  EXPECT_NE(forged_again.body.find("\"already\":true"), std::string::npos);
  EXPECT_EQ(incoming_at(b_).size(), 1u);
  EXPECT_EQ(count(b_.gw->output(), "event=transfer.received "), 1u) << b_.gw->output();
  EXPECT_EQ(b_.call("GET", "/Patient/forged-1").status, 404);

  // B suspended by the consortium (governance needs the outbox: the gateways
  // stop meanwhile); A's listener now takes 64 KiB bodies at most.
  ASSERT_NO_FATAL_FAILURE(stop_both());
  {
    std::ifstream in(a_.gw->config_path());
    std::string config((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string section = "[peering]\nenabled = true\n";
    const size_t at = config.find(section);
    ASSERT_NE(at, std::string::npos) << config;
    config.insert(at + section.size(), "max_body_bytes = 65536\n");
    std::ofstream(a_.gw->config_path(), std::ios::trunc) << config;
  }
  // Two members cannot suspend one (the quorum never drops below two while
  // two are active): a third member joins first, then A proposes the
  // suspension and B's approval completes it.
  const std::string third = dir_.path() + "/third.json";
  std::ofstream(third) << "[" << member_json(AnvilProcess::dev_address(7), 3) << "]";
  ASSERT_NO_FATAL_FAILURE(
      governed({"ledger", "propose-add", "--config", a_.gw->config_path(), "--member", third}));
  const std::string done = governed({"ledger", "propose-suspend", "--config", a_.gw->config_path(),
                                     "--account", ledger::to_hex_0x(b_.account)});
  EXPECT_NE(done.find("member suspended"), std::string::npos) << done;
  ASSERT_NO_FATAL_FAILURE(start_both());

  // Oversized: refused before the body is read (A's own certificate, so
  // that the caller is an active member).
  PeerAnswer large = deliver(a_, a_, std::string(70000, ' '));
  EXPECT_EQ(large.status, 413) << large.body;

  // The suspended member's delivery and pull: refused at the listener
  // (unknown-peer) or by the receiver (SENDER_NOT_ACTIVE).
  PeerAnswer suspended;
  EXPECT_TRUE(wait_until(
      [&] {
        suspended = deliver(b_, a_, envelope(b_.account, a_.account, 1, a_key));
        return suspended.status == 403;
      },
      30s))
      << suspended.status << " " << suspended.body;
  EXPECT_TRUE(suspended.code == "unknown-peer" || suspended.code == "SENDER_NOT_ACTIVE")
      << suspended.code;
  RecordProperty("suspended_refused_as", suspended.code);
  PeerAnswer pull = deliver(b_, a_, R"({"request_id":"1"})", "/peer/v1/requests");
  EXPECT_EQ(pull.status, 403) << pull.body;
  RecordProperty("suspended_pull_refused_as", pull.code);

  // Nothing of any of it stored at A.
  for (const transfer::IncomingTransfer& t : incoming_at(a_)) {
    EXPECT_NE(t.state, transfer::IncomingState::kStored) << t.transfer_id;
  }
  EXPECT_EQ(count(a_.gw->output(), "event=transfer.received "), 0u);
  EXPECT_EQ(a_.call("GET", "/Patient/forged-1").status, 404);
}

// B records four transfers to A on the ledger while A is down, then stops
// before delivering them; envelopes with B's ids are then delivered with B's
// certificate: not sealed to A's key (WRONG_KEY), sealed to A's key but not
// with B's registered key (SENDER_KEY_MISMATCH), B's real envelope truncated
// (MALFORMED) or with its box altered (UNREADABLE). Nothing is stored, and
// since none of them opens as sealed by B's key, none is held against its id:
// when B later delivers the real envelopes, A stores all four.
TEST_F(TransferRefusalTest, RecordedTransfersForgedTamperedOrTruncatedAreRefused) {
  ASSERT_NO_FATAL_FAILURE(SetUpConsortium());
  ASSERT_NO_FATAL_FAILURE(send_hl7(b_, "admit", kAdmit));
  std::vector<std::string> patients = patients_named(b_, "MRN-F100");
  ASSERT_EQ(patients.size(), 1u);
  ASSERT_FALSE(write_consent(b_, grant_consent(patients[0], a_.org_id, "TREAT")).empty());
  const transfer::PublicKey a_key = payload_key_of(a_);

  EXPECT_EQ(a_.gw->terminate(), 0) << a_.gw->output();
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    rest::testing::Reply accepted = b_.call("POST", "/Patient/" + patients[0] + "/$transfer",
                                            transfer_params(a_.org_id, "TREAT"));
    ASSERT_EQ(accepted.status, 202) << accepted.body;
    ids.push_back(transfer_id_of(accepted.body));
    ASSERT_FALSE(ids.back().empty());
  }
  auto b_state = [&](const std::string& id) -> std::optional<transfer::OutgoingTransfer> {
    auto store = transfer::TransferStore::open_read_only(b_.dir + "/state/transfers.db");
    if (!store.ok()) return std::nullopt;
    auto t = (*store)->outgoing(std::stoll(id));
    if (!t.ok() || !t->has_value()) return std::nullopt;
    return **t;
  };
  // Recorded, and at least one delivery attempt failed (A is down).
  ASSERT_TRUE(wait_until(
      [&] {
        for (const std::string& id : ids) {
          auto t = b_state(id);
          if (!t || t->state != transfer::OutgoingState::kRecorded || t->attempts < 1) return false;
        }
        return true;
      },
      90s))
      << b_.gw->output();
  EXPECT_EQ(b_.gw->terminate(), 0) << b_.gw->output();
  const std::string real_2 = b_state(ids[2])->envelope, real_3 = b_state(ids[3])->envelope;
  ASSERT_FALSE(real_2.empty());
  {
    gw::Status s = a_.gw->start(std::chrono::seconds(60));
    ASSERT_TRUE(s.ok()) << s.message();
  }

  // The ledger entries are final at A (the view catches up at start): the
  // key checks decide.
  PeerAnswer wrong_key;
  ASSERT_TRUE(wait_until(
      [&] {
        wrong_key = deliver(b_, a_, envelope(b_.account, a_.account, std::stoull(ids[0])));
        return wrong_key.status != 503;
      },
      30s))
      << wrong_key.body;
  EXPECT_EQ(wrong_key.status, 422) << wrong_key.body;
  EXPECT_EQ(wrong_key.code, "WRONG_KEY");
  PeerAnswer not_bs_key =
      deliver(b_, a_, envelope(b_.account, a_.account, std::stoull(ids[1]), a_key));
  EXPECT_EQ(not_bs_key.status, 409) << not_bs_key.body;
  EXPECT_EQ(not_bs_key.code, "SENDER_KEY_MISMATCH");
  // B's own envelope, truncated: malformed, and not held against the id.
  PeerAnswer truncated = deliver(b_, a_, real_2.substr(0, real_2.size() / 2));
  EXPECT_EQ(truncated.status, 400) << truncated.body;
  EXPECT_EQ(truncated.code, "MALFORMED");
  // B's own envelope with one character of the box changed: the box does
  // not authenticate.
  std::string tampered = real_3;
  const size_t box = tampered.find("\"box\":\"");
  ASSERT_NE(box, std::string::npos) << "the envelope names its box";
  char& c = tampered[box + 7 + 40];
  c = (c == 'A') ? 'B' : 'A';
  PeerAnswer altered = deliver(b_, a_, tampered);
  EXPECT_EQ(altered.status, 422) << altered.body;
  EXPECT_EQ(altered.code, "UNREADABLE");
  EXPECT_TRUE(incoming_at(a_).empty()) << "nothing held against B's ids";
  EXPECT_EQ(a_.call("GET", "/Patient/forged-1").status, 404);
  EXPECT_TRUE(patients_named(a_, "MRN-F100").empty());
  EXPECT_EQ(count(a_.gw->output(), "event=transfer.received_rejected "), 3u);

  // B comes back and delivers the real envelopes: all four are stored.
  {
    gw::Status s = b_.gw->start(std::chrono::seconds(60));
    ASSERT_TRUE(s.ok()) << s.message();
  }
  ASSERT_TRUE(wait_until(
      [&] {
        for (const std::string& id : ids) {
          auto t = b_state(id);
          if (!t || !is_final(t->state)) return false;
        }
        return true;
      },
      90s))
      << b_.gw->output();
  for (const std::string& id : ids) {
    EXPECT_EQ(b_state(id)->state, transfer::OutgoingState::kDelivered) << b_state(id)->detail;
  }
  EXPECT_EQ(patients_named(a_, "MRN-F100").size(), 1u);
  EXPECT_EQ(count(a_.gw->output(), "event=transfer.received "), 4u);
}

// A transfer B sealed and recorded before rotating its payload key must
// still be delivered after the rekey is final (issue 16: rotation keeps
// transfers already recorded usable): the recipient opens a payload against
// the sender's key as registered now, so the sender seals the same payload
// (same records, same root) again with its new key before delivering.
TEST_F(TransferRefusalTest, ATransferSealedBeforeTheSendersRekeyIsStillDelivered) {
  ASSERT_NO_FATAL_FAILURE(SetUpConsortium());
  ASSERT_NO_FATAL_FAILURE(send_hl7(b_, "admit", kAdmit));
  std::vector<std::string> patients = patients_named(b_, "MRN-F100");
  ASSERT_EQ(patients.size(), 1u);
  ASSERT_FALSE(write_consent(b_, grant_consent(patients[0], a_.org_id, "TREAT")).empty());

  EXPECT_EQ(a_.gw->terminate(), 0) << a_.gw->output();
  rest::testing::Reply accepted = b_.call("POST", "/Patient/" + patients[0] + "/$transfer",
                                          transfer_params(a_.org_id, "TREAT"));
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  const std::string id = transfer_id_of(accepted.body);
  auto b_state = [&]() -> std::optional<transfer::OutgoingTransfer> {
    auto store = transfer::TransferStore::open_read_only(b_.dir + "/state/transfers.db");
    if (!store.ok()) return std::nullopt;
    auto t = (*store)->outgoing(std::stoll(id));
    if (!t.ok() || !t->has_value()) return std::nullopt;
    return **t;
  };
  ASSERT_TRUE(wait_until(
      [&] {
        auto t = b_state();
        return t && t->state == transfer::OutgoingState::kRecorded && t->attempts >= 1;
      },
      90s))
      << b_.gw->output();
  EXPECT_EQ(b_.gw->terminate(), 0) << b_.gw->output();

  // B rotates its payload key and the consortium registers the new one.
  std::string out;
  ASSERT_EQ(ctl({"tpm", "rotate-payload-key", "--config", b_.gw->config_path()}, &out), 0) << out;
  const std::string rekey = dir_.path() + "/rekey.json";
  std::ofstream(rekey) << "[" << entry_of(b_) << "]";
  out.clear();
  ASSERT_EQ(
      ctl({"ledger", "propose-rekey", "--config", b_.gw->config_path(), "--member", rekey}, &out),
      0)
      << out;
  const size_t at = out.find("proposal id: ");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string proposal =
      out.substr(at + 13, out.find_first_not_of("0123456789", at + 13) - at - 13);
  out.clear();
  ASSERT_EQ(
      ctl({"ledger", "approve", "--config", a_.gw->config_path(), "--proposal", proposal}, &out), 0)
      << out;
  ASSERT_NO_FATAL_FAILURE(start_both());

  ASSERT_TRUE(wait_until([&] { return b_state() && is_final(b_state()->state); }, 90s))
      << b_.gw->output();
  EXPECT_EQ(b_state()->state, transfer::OutgoingState::kDelivered) << b_state()->detail;
  EXPECT_EQ(patients_named(a_, "MRN-F100").size(), 1u);
}

}  // namespace
}  // namespace gw::testing
