// test-needs: integration swtpm anvil
// The recipient passes what it received on to its own EHR: member B, with
// [peering] forward_fhir, sends a transfer it stored to a local FHIR server
// as one transaction Bundle of the records and their Provenance.
#include <gtest/gtest.h>

#include "tests/integration/transfer_consent.h"
#include "tests/integration/transfer_fixture.h"
#include "tests/support/fhir_receiver.h"

namespace gw::testing {
namespace {

const std::string kAdmit =
    "MSH|^~\\&|ADT|HOSPA|GW|GW|20260101120000||ADT^A01|F-ADT-1|P|2.5.1\r"
    "EVN|A01|20260101120000\r"
    "PID|1||MRN-5150^^^HOSPA^MR||Forwardova^Eva||19750505|F\r"
    "PV1|1|I|WARD1^101^A||||1234^Smith^John|||MED||||||||V-5150\r";
const std::string kGlucose =
    "MSH|^~\\&|LAB|HOSPA|GW|GW|20260101130000||ORU^R01|F-ORU-1|P|2.5.1\r"
    "PID|1||MRN-5150^^^HOSPA^MR||Forwardova^Eva||19750505|F\r"
    "OBR|1|ORD-5|FIL-5|2345-7^Glucose^LN|||20260101123000\r"
    "OBX|1|NM|2345-7^Glucose^LN||101|mg/dL|70-99|H|||F\r";

class TransferForwardTest : public TransferFixture {};

TEST_F(TransferForwardTest, TheRecipientSendsAReceivedTransferToItsOwnFhirServer) {
  const std::string ehr_dir = dir_.path() + "/ehr";
  std::filesystem::create_directories(ehr_dir);
  auto ehr_pki = make_test_pki(ehr_dir, "unused");
  ASSERT_TRUE(ehr_pki.ok()) << ehr_pki.status().message();
  FhirReceiver::Log ehr_log;
  FhirReceiver ehr(ehr_pki->server_cert, ehr_pki->server_key, 0, &ehr_log);
  peering_extra_["b"] = "forward_fhir = \"https://localhost:" + std::to_string(ehr.port()) +
                        "/fhir\"\nforward_fhir_ca_file = \"" + ehr_pki->ca_cert +
                        "\"\nforward_retry_initial_ms = 100\n";
  ASSERT_NO_FATAL_FAILURE(SetUpConsortium());
  ASSERT_NO_FATAL_FAILURE(send_hl7(a_, "admit", kAdmit));
  ASSERT_NO_FATAL_FAILURE(send_hl7(a_, "glucose", kGlucose));
  std::vector<std::string> patients = patients_named(a_, "MRN-5150");
  ASSERT_EQ(patients.size(), 1u);

  // Emergency access needs no Consent once the quorum allows it.
  ASSERT_NO_FATAL_FAILURE(enable_emergency_access());
  EXPECT_TRUE(ehr_log.snapshot().empty());  // nothing received yet, nothing forwarded

  const std::string body = transfer_params(b_.org_id, "ETREAT", {.reason = "unresponsive in ED"});
  rest::testing::Reply accepted = a_.call("POST", "/Patient/" + patients[0] + "/$transfer", body);
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  ASSERT_TRUE(wait_until([&] { return !ehr_log.snapshot().empty(); }, 90s))
      << a_.gw->output() << "\n---- B ----\n"
      << b_.gw->output();

  const std::vector<std::string> requests = ehr_log.snapshot();
  ASSERT_EQ(requests.size(), 1u);
  ASSERT_TRUE(requests[0].starts_with("POST /fhir\n"));
  auto bundle = fhir::parse_json(requests[0].substr(requests[0].find('\n') + 1));
  ASSERT_TRUE(bundle.ok());
  EXPECT_EQ(bundle->find("type")->text(), "transaction");
  std::map<std::string, int> types;
  bool patient_entry = false;
  for (const fhir::JsonValue& e : bundle->find("entry")->items()) {
    const std::string type = e.find("resource")->find("resourceType")->text();
    ++types[type];
    // A conditional update names the entry by its id's urn:uuid fullUrl, an
    // update by id by its URL.
    const fhir::JsonValue* full_url = e.find("fullUrl");
    const std::string url = e.find("request")->find("url")->text();
    if (type == "Patient" &&
        ((full_url != nullptr && full_url->text() == "urn:uuid:" + patients[0]) ||
         url == "Patient/" + patients[0]))
      patient_entry = true;
  }
  EXPECT_TRUE(patient_entry) << requests[0].size();
  EXPECT_EQ(types["Provenance"], 1);
  EXPECT_GE(types["Observation"], 1);  // the glucose result
  // B's FHIR API holds the same patient the EHR was sent.
  EXPECT_EQ(patients_named(b_, "MRN-5150"), patients);

  const std::string b_log = b_.gw->output();
  EXPECT_EQ(b_log.find("event=outbound.dead_letter"), std::string::npos) << b_log;
  for (const char* phi : {"Forwardova", "MRN-5150", "19750505", "unresponsive"})
    EXPECT_EQ(b_log.find(phi), std::string::npos) << phi;
}

}  // namespace
}  // namespace gw::testing
