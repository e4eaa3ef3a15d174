// test-needs: swtpm anvil integration
// Deliveries that the sender's own registered payload key sealed but that do
// not match the ledger, over the wire between two real gatewayds. The test
// plays a member gone wrong: with B stopped it unseals B's keys from B's
// swtpm through the project's key store (as gatewayctl does), opens B's real
// stored envelopes, alters them and seals them again with B's payload key.
// Checks that need the altered records themselves on the ledger (a record
// that is not JSON, repeated, not valid FHIR, or an id A holds) get their
// roots recorded on the TransferLog with B's own ledger key, because only a
// root the ledger holds gets a delivery past ROOT_MISMATCH. A third member C,
// played by the test with keys of its own, first sends A one record, so that
// a forgery can also name a record A holds from another sender.
//
// What authenticates as B's is held against the transfer id for good: each
// is refused with its code, kept in A's `incoming` as refused, nothing is
// stored, and B's real envelope for the same id is then answered REFUSED
// (B marks it failed). A tampered box, which never authenticates, is not
// held against its id: B's real envelope for it is stored.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/integration/audit_events.h"
#include "tests/integration/transfer_consent.h"
#include "tests/integration/transfer_forgery_fixture.h"

namespace gw::testing {
namespace {

namespace cs = ledger::consortium;

const std::string kAdmitAtB =
    "MSH|^~\\&|ADT|HOSPB|GW|GW|20260101120000||ADT^A01|G-ADT-1|P|2.5.1\r"
    "EVN|A01|20260101120000\r"
    "PID|1||MRN-G300^^^HOSPB^MR||Forgerova^Vera||19710202|F\r"
    "PV1|1|O|CLINIC^1^A||||||||MED||||||||V-G300\r";
const std::string kAdmitAtA =
    "MSH|^~\\&|ADT|HOSPA|GW|GW|20260101120000||ADT^A01|G-ADT-2|P|2.5.1\r"
    "EVN|A01|20260101120000\r"
    "PID|1||MRN-G301^^^HOSPA^MR||Ownova^Olga||19720303|F\r"
    "PV1|1|O|CLINIC^1^A||||||||MED||||||||V-G301\r";

// One altered delivery and the answer A must give it.
struct Forgery {
  std::string what;
  uint64_t id = 0;
  std::string envelope;
  int status = 0;
  std::string code;
};

class TransferForgeryTest : public TransferForgeryFixture {};

TEST_F(TransferForgeryTest, WhatTheSendersKeySealedButTheLedgerDoesNotHoldIsRefusedForGood) {
  ASSERT_NO_FATAL_FAILURE(SetUpConsortium());
  ASSERT_NO_FATAL_FAILURE(send_hl7(a_, "own", kAdmitAtA));
  const std::vector<std::string> own = patients_named(a_, "MRN-G301");
  ASSERT_EQ(own.size(), 1u);
  const std::string own_before = a_.call("GET", "/Patient/" + own[0]).body;
  ASSERT_NO_FATAL_FAILURE(send_hl7(b_, "admit", kAdmitAtB));
  const std::vector<std::string> patients = patients_named(b_, "MRN-G300");
  ASSERT_EQ(patients.size(), 1u);
  ASSERT_FALSE(write_consent(b_, grant_consent(patients[0], a_.org_id, "TREAT")).empty());

  // B records six real transfers to A while A is down, then stops.
  EXPECT_EQ(a_.gw->terminate(), 0) << a_.gw->output();
  std::vector<uint64_t> ids;
  for (int i = 0; i < 6; ++i) {
    rest::testing::Reply accepted = b_.call("POST", "/Patient/" + patients[0] + "/$transfer",
                                            transfer_params(a_.org_id, "TREAT"));
    ASSERT_EQ(accepted.status, 202) << accepted.body;
    ASSERT_FALSE(transfer_id_of(accepted.body).empty());
    ids.push_back(std::stoull(transfer_id_of(accepted.body)));
  }
  ASSERT_TRUE(wait_until(
      [&] {
        for (uint64_t id : ids) {
          auto t = outgoing_at(b_, id);
          if (!t || t->state != transfer::OutgoingState::kRecorded || t->attempts < 1) return false;
        }
        return true;
      },
      90s))
      << b_.gw->output();
  EXPECT_EQ(b_.gw->terminate(), 0) << b_.gw->output();
  Third c;
  ASSERT_NO_FATAL_FAILURE(join_third(c));

  // B's keys, and B's real payloads as B sealed them.
  keys::WorkingKeys b_keys = unseal_keys(b_);
  ASSERT_FALSE(b_keys.payload_keys.empty());
  std::vector<transfer::SealedEnvelope> real;
  std::vector<transfer::Payload> payloads;
  const crypto::SecretBytes* b_secret = nullptr;
  for (uint64_t id : ids) {
    auto env = transfer::read_envelope(outgoing_at(b_, id)->envelope);
    ASSERT_TRUE(env.ok()) << env.error().message();
    const keys::PayloadKey* key = b_keys.payload_keys.find(env->sender_key);
    ASSERT_NE(key, nullptr) << "B sealed with a payload key of its own";
    b_secret = &key->private_key;
    auto p = transfer::open_as_sender(*env, *b_secret);
    ASSERT_TRUE(p.ok()) << p.error().message();
    real.push_back(*env);
    payloads.push_back(*p);
  }
  ASSERT_GE(payloads[0].records.size(), 2u) << "the admit gives a Patient and an Encounter";
  const transfer::PublicKey a_key = real[0].recipient_key;
  const transfer::Address b_account = b_.account, a_account = a_.account;

  std::vector<Forgery> forgeries;
  auto forge = [&](std::string what, transfer::Payload p, int status, std::string code) {
    forgeries.push_back(
        {std::move(what), p.transfer.id, sealed(p, *b_secret, a_key), status, std::move(code)});
  };
  // On B's real ids: the ledger entry is B's; the payload is altered.
  {
    transfer::Payload p = payloads[0];
    p.transfer.purpose = static_cast<uint8_t>(cs::Purpose::kHpaymt);
    forge("another purpose", p, 422, "LEDGER_MISMATCH");
  }
  {
    transfer::Payload p = payloads[1];
    p.transfer.patient_token[0] ^= 0x01;
    forge("another patient token", p, 422, "LEDGER_MISMATCH");
  }
  {
    // Consistent in itself (one record left out, the root recomputed), but
    // not the root on the ledger.
    transfer::Payload p = payloads[2];
    p.records.pop_back();
    p.root = root_of(p.records);
    forge("another root", p, 422, "ROOT_MISMATCH");
  }
  {
    transfer::Payload p = payloads[3];
    p.records[0].resource_json = R"({"id":")" + p.records[0].resource_id + R"(","resourceType":")" +
                                 p.records[0].resource_type + R"("})";
    forge("a record changed after its commitment", p, 422, "COMMITMENT_MISMATCH");
  }
  {
    // The listed type is not part of the commitment: the root still holds.
    transfer::Payload p = payloads[4];
    p.records[0].resource_type =
        p.records[0].resource_type == "Patient" ? "Observation" : "Patient";
    forge("a record listed as another type", p, 422, "INVALID_RESOURCE");
  }
  // B's real envelope for the last id with one character of its box changed:
  // it never authenticates as B's, so it is not held against the id.
  std::string tampered = real[5].bytes;
  {
    const size_t box = tampered.find("\"box\":\"");
    ASSERT_NE(box, std::string::npos);
    char& c = tampered[box + 7 + 40];
    c = (c == 'A') ? 'B' : 'A';
  }

  // On ids B's account records now with roots of altered records.
  const transfer::Payload& base = payloads[0];
  const transfer::PayloadRecord& r0 = base.records[0];
  std::vector<cs::TransferInput> entries;
  uint64_t next_id = 900001;
  auto forge_recorded = [&](std::string what, std::vector<transfer::PayloadRecord> records,
                            int status, std::string code, uint8_t flags = cs::kFlagBatchRoot) {
    transfer::Payload p;
    p.transfer = {b_account, a_account, next_id++, base.transfer.patient_token,
                  base.transfer.purpose};
    p.records = std::move(records);
    p.root = root_of(p.records);
    cs::TransferInput in;
    in.id = ledger::Uint256::from_u64(p.transfer.id);
    in.to = a_account;
    in.patient_token = p.transfer.patient_token;
    in.commitment = p.root;
    in.purpose = cs::Purpose::kTreat;
    in.flags = flags;
    entries.push_back(in);
    forge(std::move(what), p, status, std::move(code));
  };
  ASSERT_EQ(base.transfer.purpose, static_cast<uint8_t>(cs::Purpose::kTreat));
  forge_recorded("recorded without the batch-root flag", base.records, 422, "ROOT_MISMATCH", 0);
  forge_recorded("a record that is not JSON",
                 {recommitted(r0, "Patient", "forged-json", R"({"resourceType":"Patient",)")}, 422,
                 "INVALID_RESOURCE");
  forge_recorded("a record twice", {r0, r0}, 422, "INVALID_RESOURCE");
  forge_recorded(
      "a record that is not valid FHIR R4",
      {recommitted(r0, "Patient", "forged-fhir",
                   R"({"forgedElement":true,"id":"forged-fhir","resourceType":"Patient"})")},
      422, "INVALID_RESOURCE");
  forge_recorded("a record over one of A's own",
                 {recommitted(r0, "Patient", own[0],
                              R"({"id":")" + own[0] + R"(","resourceType":"Patient"})")},
                 409, "ID_CONFLICT");
  forge_recorded(
      "a record over one C sent A",
      {recommitted(r0, "Patient", "third-1", R"({"id":"third-1","resourceType":"Patient"})")}, 409,
      "ID_CONFLICT");
  ASSERT_NO_FATAL_FAILURE(record_as(b_keys.ledger_key, entries));
  transfer::Payload from_c;
  from_c.transfer = {c.account, a_account, 1, base.transfer.patient_token, base.transfer.purpose};
  from_c.records = {recommitted(r0, "Patient", "third-1",
                                R"({"active":true,"id":"third-1","resourceType":"Patient"})")};
  from_c.root = root_of(from_c.records);
  {
    cs::TransferInput in;
    in.id = ledger::Uint256::from_u64(1);
    in.to = a_account;
    in.patient_token = from_c.transfer.patient_token;
    in.commitment = from_c.root;
    in.flags = cs::kFlagBatchRoot;
    ASSERT_NO_FATAL_FAILURE(record_as(c.ledger_key, {in}));
  }

  {
    gw::Status s = a_.gw->start(std::chrono::seconds(60));
    ASSERT_TRUE(s.ok()) << s.message();
  }
  // C's transfer is stored once A's view knows C and the entry (until then
  // A answers 403 unknown-peer or 503).
  const std::string c_envelope = sealed(from_c, c.payload_secret, a_key);
  PeerAnswer stored;
  ASSERT_TRUE(wait_until(
      [&] {
        stored = deliver(c.member, a_, c_envelope);
        return stored.status != 503 && stored.code != "unknown-peer";
      },
      30s))
      << stored.body;
  ASSERT_EQ(stored.status, 200) << stored.body;
  const std::string third_before = a_.call("GET", "/Patient/third-1").body;
  ASSERT_NE(third_before.find("\"active\":true"), std::string::npos) << third_before;
  for (const Forgery& f : forgeries) {
    PeerAnswer answer = deliver(b_, a_, f.envelope);
    EXPECT_EQ(answer.status, f.status) << f.what << ": " << answer.body;
    EXPECT_EQ(answer.code, f.code) << f.what << ": " << answer.body;
  }
  PeerAnswer altered = deliver(b_, a_, tampered);
  EXPECT_EQ(altered.status, 422) << altered.body;
  EXPECT_EQ(altered.code, "UNREADABLE");

  // Each is in A's `incoming` as refused with its code; the tampered box is
  // not there at all.
  const std::vector<transfer::IncomingTransfer> incoming = incoming_at(a_);
  EXPECT_EQ(incoming.size(), forgeries.size() + 1) << "C's transfer and the forgeries";
  for (const Forgery& f : forgeries) {
    const transfer::IncomingTransfer* row = nullptr;
    for (const transfer::IncomingTransfer& t : incoming) {
      if (t.sender == b_account && t.transfer_id == f.id) row = &t;
    }
    ASSERT_NE(row, nullptr) << f.what;
    EXPECT_EQ(row->state, transfer::IncomingState::kRefused) << f.what;
    EXPECT_TRUE(row->detail.starts_with(f.code + ":")) << f.what << ": " << row->detail;
    EXPECT_EQ(row->record_count, 0) << f.what;
  }
  for (const transfer::IncomingTransfer& t : incoming) EXPECT_NE(t.transfer_id, ids[5]);
  // Logged at A with their codes; nothing stored.
  EXPECT_EQ(count(a_.gw->output(), "event=transfer.received_refused "), forgeries.size());
  EXPECT_EQ(count(a_.gw->output(), "event=transfer.received_rejected "), 1u);
  EXPECT_EQ(count(a_.gw->output(), "event=transfer.received "), 1u) << "C's only";
  // A's audit trail: one transfer-refused entry per answer, B's account as
  // the actor, the code first; the patient is the one the ledger entry names.
  const std::vector<AuditRow> refused = rows_of(a_.audit(), "transfer-refused");
  ASSERT_EQ(refused.size(), forgeries.size() + 1) << "the forgeries and the tampered box";
  for (size_t i = 0; i < refused.size(); ++i) {
    const std::string code = i < forgeries.size() ? forgeries[i].code : "UNREADABLE";
    EXPECT_EQ(refused[i].who, "member:" + ledger::to_hex_0x(b_account)) << code;
    EXPECT_EQ(refused[i].outcome, "4") << code;
    EXPECT_TRUE(refused[i].desc.starts_with(code + ";")) << code << ": " << refused[i].desc;
    EXPECT_FALSE(refused[i].token.empty()) << code;
  }
  EXPECT_EQ(rows_of(a_.audit(), "transfer-received").size(), 1u) << "C's only";
  EXPECT_TRUE(patients_named(a_, "MRN-G300").empty());
  EXPECT_EQ(a_.call("GET", "/Patient/" + patients[0]).status, 404);
  for (const std::string id : {"forged-json", "forged-fhir"}) {
    EXPECT_EQ(a_.call("GET", "/Patient/" + id).status, 404) << id;
  }
  EXPECT_EQ(a_.call("GET", "/Patient/" + own[0]).body, own_before);
  EXPECT_EQ(a_.call("GET", "/Patient/third-1").body, third_before);

  // Refused for good: the same forgery again is answered REFUSED.
  for (const Forgery& f : forgeries) {
    PeerAnswer again = deliver(b_, a_, f.envelope);
    EXPECT_EQ(again.status, 422) << f.what << ": " << again.body;
    EXPECT_EQ(again.code, "REFUSED") << f.what;
  }

  // B comes back and delivers its real envelopes: those whose ids a forgery
  // sealed with B's key took are refused and B marks them failed; the one
  // only a tampered box was sent for is stored.
  {
    gw::Status s = b_.gw->start(std::chrono::seconds(60));
    ASSERT_TRUE(s.ok()) << s.message();
  }
  ASSERT_TRUE(wait_until(
      [&] {
        for (uint64_t id : ids) {
          auto t = outgoing_at(b_, id);
          if (!t || !is_final(t->state)) return false;
        }
        return true;
      },
      90s))
      << b_.gw->output();
  for (size_t i = 0; i < 5; ++i) {
    auto t = outgoing_at(b_, ids[i]);
    EXPECT_EQ(t->state, transfer::OutgoingState::kFailed) << forgeries[i].what;
    EXPECT_NE(t->detail.find("REFUSED"), std::string::npos) << t->detail;
    EXPECT_NE(t->detail.find(forgeries[i].code), std::string::npos) << t->detail;
  }
  EXPECT_EQ(count(b_.gw->output(), "event=transfer.finished "), 5u) << b_.gw->output();
  EXPECT_EQ(outgoing_at(b_, ids[5])->state, transfer::OutgoingState::kDelivered)
      << outgoing_at(b_, ids[5])->detail;
  EXPECT_EQ(patients_named(a_, "MRN-G300").size(), 1u);
  EXPECT_EQ(count(a_.gw->output(), "event=transfer.received "), 2u);
  EXPECT_EQ(a_.call("GET", "/Patient/" + own[0]).body, own_before);
  EXPECT_EQ(a_.call("GET", "/Patient/third-1").body, third_before);

  // No PHI in either log: names, identifiers, birth dates, the token.
  const std::string token_hex = ledger::to_hex(base.transfer.patient_token);
  for (const Member* m : {&a_, &b_}) {
    const std::string log = m->gw->output();
    for (const std::string& phi : std::vector<std::string>{
             "Forgerova", "Ownova", "MRN-G300", "MRN-G301", "19710202", "1971-02-02", token_hex}) {
      EXPECT_EQ(log.find(phi), std::string::npos) << m->name << " logs " << phi;
    }
  }
}

}  // namespace
}  // namespace gw::testing
