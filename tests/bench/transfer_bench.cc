// Transfer figures between two real member gateways on this machine (both
// gatewayds, their swtpms and one anvil share its cores): Hospital A holds one
// patient with about 20 records, a Consent grants Hospital B TREAT, and N
// pushes go to A's REST API from several client threads as fast as it takes
// them. Prints ONE JSON object on stdout: transfers/s, latency from the
// request (A's created_ms) to stored at B (B's received_ms), gas per
// transfer from the TransferLog receipts, and the machine. It is a gtest
// binary only to reuse TransferFixture; it measures and asserts no figure.
// Each client keeps one HTTPS connection open for all its requests, as an
// EHR's integration engine does; --new-connections makes a TLS handshake per
// request instead (the figure then includes A's handshake cost).
//   transfer_bench [--transfers N] [--clients C] [--new-connections]
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "gateway/transfer/transfer_store.h"
#include "ledger-client/keccak/keccak.h"
#include "tests/integration/transfer_fixture.h"

namespace gw::testing {
namespace {

int g_transfers = 400;
int g_clients = 8;
bool g_new_connections = false;
constexpr int kObservations = 18;

const std::string kAdmit =
    "MSH|^~\\&|ADT|HOSPA|GW|GW|20260101120000||ADT^A01|B-ADT-1|P|2.5.1\r"
    "EVN|A01|20260101120000\r"
    "PID|1||MRN-4401^^^HOSPA^MR~321-54-9876^^^SSA^SS||Benchley^Bea||19750505|F\r"
    "PV1|1|I|WARD2^202^B||||1234^Smith^John|||MED||||||||V-4401\r";

// An ORU^R01 panel with kObservations numeric results.
std::string lab_panel() {
  std::string er7 =
      "MSH|^~\\&|LAB|HOSPA|GW|GW|20260101130000||ORU^R01|B-ORU-1|P|2.5.1\r"
      "PID|1||MRN-4401^^^HOSPA^MR~321-54-9876^^^SSA^SS||Benchley^Bea||19750505|F\r"
      "OBR|1|ORD-4401|FIL-4401|24323-8^Comprehensive metabolic panel^LN|||20260101123000\r";
  for (int i = 1; i <= kObservations; ++i) {
    er7 += "OBX|" + std::to_string(i) + "|NM|2345-7^Glucose^LN|" + std::to_string(i) + "|" +
           std::to_string(80 + i) + "|mg/dL|70-99|N|||F\r";
  }
  return er7;
}

std::string treat_consent(const std::string& patient_id, const std::string& org) {
  return R"({"resourceType":"Consent","status":"active",
  "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
  "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
  "patient":{"reference":"Patient/)" +
         patient_id + R"("},
  "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
  "provision":{"type":"permit",
    "actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},
              "reference":{"identifier":{"system":"urn:ietf:rfc:3986","value":")" +
         org + R"("}}}],
    "purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"TREAT"}]}})";
}

std::string push_body(const std::string& org_id) {
  return R"({"resourceType":"Parameters","parameter":[)"
         R"({"name":"recipient","valueIdentifier":{"system":"urn:ietf:rfc:3986","value":")" +
         org_id + R"("}},{"name":"purpose","valueCode":"TREAT"}]})";
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The q-quantile (nearest rank) of sorted values.
double quantile(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(q * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return static_cast<double>(sorted[rank - 1]);
}

// Milliseconds since the epoch of a log line's ts=2026-11-22T02:45:11.123Z,
// or -1.
int64_t line_ms(std::string_view line) {
  const size_t at = line.find("ts=");
  if (at == std::string_view::npos || line.size() < at + 27) return -1;
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(std::string(line.substr(at + 3, 24)).c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ",
                  &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
                  &ms) != 7) {
    return -1;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(::timegm(&tm)) * 1000 + ms;
}

// Where a transfer's time goes at the custodian, from its log: p50 and p99
// of accepted -> prepared (records selected and sealed), prepared ->
// recorded (outbox batch, mined, seen in the view) and recorded ->
// delivered (the member-to-member call until B answers).
std::string stages_json(const std::string& log) {
  const char* events[] = {"transfer.accepted", "transfer.prepared", "transfer.recorded",
                          "transfer.delivered"};
  std::map<std::string, std::array<int64_t, 4>> at;  // transfer id -> ts of each event
  size_t pos = 0;
  while (pos < log.size()) {
    size_t end = log.find('\n', pos);
    if (end == std::string::npos) end = log.size();
    const std::string_view line(log.data() + pos, end - pos);
    pos = end + 1;
    for (int e = 0; e < 4; ++e) {
      if (line.find(std::string(" event=") + events[e] + " ") == std::string::npos) continue;
      size_t k = line.find(" transfer=");
      if (k == std::string::npos) break;
      k += 10;
      if (k < line.size() && line[k] == '"') ++k;
      const std::string id(line.substr(k, line.find_first_not_of("0123456789", k) - k));
      auto [it, fresh] = at.try_emplace(id, std::array<int64_t, 4>{-1, -1, -1, -1});
      it->second[e] = line_ms(line);
    }
  }
  std::vector<int64_t> spans[3];
  for (const auto& [id, ts] : at) {
    for (int s = 0; s < 3; ++s) {
      if (ts[s] >= 0 && ts[s + 1] >= 0) spans[s].push_back(ts[s + 1] - ts[s]);
    }
  }
  const char* names[] = {"accepted_to_prepared", "prepared_to_recorded", "recorded_to_delivered"};
  std::string out = "{";
  for (int s = 0; s < 3; ++s) {
    std::sort(spans[s].begin(), spans[s].end());
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s\"%s\":{\"p50\":%.0f,\"p99\":%.0f,\"n\":%zu}", s ? "," : "",
                  names[s], quantile(spans[s], 0.5), quantile(spans[s], 0.99), spans[s].size());
    out += buf;
  }
  return out + "}";
}

class TransferBench : public TransferFixture {
 protected:
  // Writes the Consent at A (retrying while the patient's first
  // registration is not final yet) and waits until it is recorded.
  void write_consent(const std::string& body) {
    rest::testing::Reply r;
    for (int i = 0; i < 30; ++i) {
      r = a_.call("POST", "/Consent", body);
      if (r.status != 503) break;
      std::this_thread::sleep_for(1s);
    }
    ASSERT_EQ(r.status, 201) << r.body;
    auto parsed = fhir::parse_json(r.body);
    ASSERT_TRUE(parsed.ok());
    const std::string id = parsed.value().find("id")->text();
    ASSERT_TRUE(wait_until(
        [&] {
          return a_.call("GET", "/Consent/" + id).body.find("\"recorded\"") != std::string::npos;
        },
        60s, 100ms))
        << a_.call("GET", "/Consent/" + id).body;
  }

  std::vector<transfer::OutgoingTransfer> outgoing_at_a() {
    auto store = transfer::TransferStore::open_read_only(a_.dir + "/state/transfers.db");
    if (!store.ok()) return {};
    auto list = (*store)->list_outgoing(std::nullopt, g_transfers + 1000);
    return list.ok() ? *list : std::vector<transfer::OutgoingTransfer>{};
  }
  std::vector<transfer::IncomingTransfer> incoming_at_b() {
    auto store = transfer::TransferStore::open_read_only(b_.dir + "/state/transfers.db");
    if (!store.ok()) return {};
    auto list = (*store)->list_incoming(g_transfers + 1000);
    return list.ok() ? *list : std::vector<transfer::IncomingTransfer>{};
  }
};

TEST_F(TransferBench, PushesBetweenTwoGateways) {
  ASSERT_NO_FATAL_FAILURE(SetUpConsortium());
  ASSERT_NO_FATAL_FAILURE(send_hl7(a_, "admit", kAdmit));
  ASSERT_NO_FATAL_FAILURE(send_hl7(a_, "panel", lab_panel()));
  std::vector<std::string> patients = patients_named(a_, "MRN-4401");
  ASSERT_EQ(patients.size(), 1u);
  ASSERT_NO_FATAL_FAILURE(write_consent(treat_consent(patients[0], b_.org_id)));

  // Push as fast as A's REST API takes them.
  const std::string push = "/Patient/" + patients[0] + "/$transfer";
  const std::string body = push_body(b_.org_id);
  std::atomic<int> next{0}, refused{0};
  std::atomic<int> last_status{0};
  const int64_t started_ms = wall_ms();
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < g_clients; ++c) {
    clients.emplace_back([&] {
      std::unique_ptr<Poco::Net::HTTPSClientSession> session;
      while (next.fetch_add(1) < g_transfers) {
        int status = 0;
        if (g_new_connections) {
          status = a_.call("POST", push, body).status;
        } else {
          try {
            if (!session) {
              session = std::make_unique<Poco::Net::HTTPSClientSession>("localhost",
                                                                        a_.https_port(), a_.https);
              session->setKeepAlive(true);
              session->setTimeout(Poco::Timespan(20, 0));
            }
            Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, push,
                                       Poco::Net::HTTPMessage::HTTP_1_1);
            req.setKeepAlive(true);
            req.setContentType("application/fhir+json");
            req.setContentLength(static_cast<std::streamsize>(body.size()));
            session->sendRequest(req) << body;
            Poco::Net::HTTPResponse resp;
            std::string ignored;
            Poco::StreamCopier::copyToString(session->receiveResponse(resp), ignored);
            status = resp.getStatus();
          } catch (const Poco::Exception&) {
            session.reset();  // counted as refused below
          }
        }
        if (status != 202) {
          ++refused;
          last_status = status;
        }
      }
    });
  }
  for (std::thread& t : clients) t.join();
  const double submit_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(refused.load(), 0) << "last refusal: HTTP " << last_status.load();

  // Until every transfer is stored at B.
  const auto budget = std::chrono::milliseconds(120000 + 500 * g_transfers);
  ASSERT_TRUE(
      wait_until([&] { return incoming_at_b().size() >= size_t(g_transfers); }, budget, 200ms))
      << "stored at B: " << incoming_at_b().size() << " of " << g_transfers;

  std::map<uint64_t, int64_t> created;
  std::set<std::string> tx_hashes;
  int64_t records = 0;
  for (const auto& t : outgoing_at_a()) {
    created[static_cast<uint64_t>(t.id)] = t.created_ms;
    if (!t.tx_hash.empty()) tx_hashes.insert(t.tx_hash);
    records += t.record_count;
  }
  std::vector<int64_t> latency;
  int64_t last_stored_ms = started_ms;
  for (const auto& in : incoming_at_b()) {
    ASSERT_EQ(in.state, transfer::IncomingState::kStored) << in.detail;
    auto c = created.find(in.transfer_id);
    ASSERT_NE(c, created.end()) << in.transfer_id;
    latency.push_back(in.received_ms - c->second);
    last_stored_ms = std::max(last_stored_ms, in.received_ms);
  }
  std::sort(latency.begin(), latency.end());
  ASSERT_EQ(created.size(), size_t(g_transfers));

  uint64_t gas = 0;
  for (const std::string& hex : tx_hashes) {
    auto bytes = ledger::from_hex(hex);
    ASSERT_TRUE(bytes && bytes->size() == 32) << hex;
    ledger::Hash256 h{};
    std::copy(bytes->begin(), bytes->end(), h.begin());
    auto receipt = eth_->transaction_receipt(h);
    ASSERT_TRUE(receipt.ok() && receipt->has_value()) << hex;
    gas += (*receipt)->gas_used;
  }

  const double seconds = static_cast<double>(last_stored_ms - started_ms) / 1000.0;
  double load[3] = {0, 0, 0};
  ::getloadavg(load, 3);
  const std::string stages = stages_json(a_.gw->output());
  char json[2048];
  std::snprintf(
      json, sizeof json,
      "{\"bench\":\"transfer\",\"transfers\":%d,\"clients\":%d,\"connections\":\"%s\","
      "\"records_per_transfer\":%.1f,"
      "\"seconds\":%.3f,\"submit_seconds\":%.3f,\"transfers_per_s\":%.1f,"
      "\"latency_ms\":{\"p50\":%.0f,\"p99\":%.0f,\"max\":%.0f},\"gas_per_transfer\":%.0f,"
      "\"tx_count\":%zu,\"stages_ms_at_a\":%s,\"machine\":{\"nproc\":%u,\"loadavg\":[%.2f,%.2f,%."
      "2f]}}\n",
      g_transfers, g_clients, g_new_connections ? "one per request" : "kept alive",
      static_cast<double>(records) / g_transfers, seconds, submit_s,
      seconds > 0 ? g_transfers / seconds : 0.0, quantile(latency, 0.5), quantile(latency, 0.99),
      quantile(latency, 1.0), static_cast<double>(gas) / g_transfers, tx_hashes.size(),
      stages.c_str(), std::thread::hardware_concurrency(), load[0], load[1], load[2]);
  std::fputs(json, stdout);
  std::fflush(stdout);
}

// gtest's own output goes to stderr so stdout holds only the JSON.
class StderrPrinter : public ::testing::EmptyTestEventListener {
  void OnTestPartResult(const ::testing::TestPartResult& r) override {
    if (r.failed()) {
      std::fprintf(stderr, "%s:%d: %s\n", r.file_name() ? r.file_name() : "?", r.line_number(),
                   r.message());
    }
  }
};

}  // namespace
}  // namespace gw::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if ((arg == "--transfers" || arg == "--clients") && has_value) {
      const int v = std::atoi(argv[++i]);
      if (v < 1 || v > 100000) {
        std::fprintf(stderr, "%s: expected 1..100000\n", arg.c_str());
        return 2;
      }
      (arg == "--transfers" ? gw::testing::g_transfers : gw::testing::g_clients) = v;
    } else if (arg == "--new-connections") {
      gw::testing::g_new_connections = true;
    } else {
      std::fprintf(stderr,
                   "usage: transfer_bench [--transfers N] [--clients C] [--new-connections]\n");
      return 2;
    }
  }
  auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
  delete listeners.Release(listeners.default_result_printer());
  listeners.Append(new gw::testing::StderrPrinter);
  return RUN_ALL_TESTS();
}
