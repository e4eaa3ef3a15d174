// test-needs: integration swtpm
// v2 -> FHIR from outside, as an integration engineer and an operator meet it:
// `gatewayctl convert` (one document, NDJSON, channel mapping settings, error
// exit codes) and gatewayd storing normalized records that
// `gatewayctl records export` reads back; an unmappable message is answered
// AE and kept in the error queue, never dropped.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/hl7/ack.h"
#include "adapters/mllp/client.h"
#include "fhir/json/json.h"
#include "gateway/audit/audit_keys.h"
#include "gateway/audit/audit_log.h"
#include "gateway/config/config.h"
#include "gateway/keys/key_options.h"
#include "tests/integration/corpus_util.h"

namespace gw::testing {
namespace {

using namespace std::chrono_literals;

std::string write_file(const std::string& dir, const std::string& name, const std::string& text) {
  std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

fhir::JsonValue parse_or_fail(const std::string& text) {
  auto v = fhir::parse_json(text);
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error().to_string());
  return v.ok() ? std::move(v).value() : fhir::JsonValue();
}

// Resources of `type` in a Bundle.
std::vector<const fhir::JsonValue*> entries_of(const fhir::JsonValue& bundle,
                                               const std::string& type) {
  std::vector<const fhir::JsonValue*> out;
  const fhir::JsonValue* entry = bundle.find("entry");
  if (entry == nullptr) return out;
  for (const fhir::JsonValue& e : entry->items()) {
    const fhir::JsonValue* r = e.find("resource");
    if (r != nullptr && r->find("resourceType") != nullptr &&
        r->find("resourceType")->text() == type)
      out.push_back(&e);
  }
  return out;
}

// A small ORU^R01 with a local lab code and naive (zone-less) timestamps.
const char kLocalOru[] =
    "MSH|^~\\&|LABSYS|CITYLAB|GW|REGIONAL|20240706120000||ORU^R01^ORU_R01|LAB-77|P|2.5.1\r"
    "PID|1||P-5550001^^^CITYLAB^MR||QUILLFEATHER^OPHELIA||19711111|F\r"
    "OBR|1|PL-1|FL-1^CITYLAB|GLU^Glucose^99LAB|||20240706113000\r"
    "OBX|1|NM|GLU^Glucose^99LAB||5.50|mmol/L^^UCUM|3.9-5.8||||F|||20240706113000\r";

class ConvertTest : public ::testing::Test {
 protected:
  int convert(std::vector<std::string> args, std::string* out, std::string* err) {
    args.insert(args.begin(), {gatewayctl_path(), "convert"});
    return run_command(args, out, err);
  }
  TempDir dir_;
};

TEST_F(ConvertTest, OneMessagePrintsOneTransactionBundle) {
  std::string out, err;
  ASSERT_EQ(convert({corpus_dir() + "/adt_a01.hl7"}, &out, &err), 0) << err;
  fhir::JsonValue bundle = parse_or_fail(out);
  EXPECT_EQ(bundle.find("resourceType")->text(), "Bundle");
  EXPECT_EQ(bundle.find("type")->text(), "transaction");
  auto patients = entries_of(bundle, "Patient");
  ASSERT_EQ(patients.size(), 1u) << out;
  const fhir::JsonValue* request = patients[0]->find("request");
  ASSERT_NE(request, nullptr);
  // Conditional update on the business identifier: replays change nothing.
  EXPECT_EQ(request->find("method")->text(), "PUT");
  EXPECT_EQ(request->find("url")->text().rfind("Patient?identifier=", 0), 0u);
  EXPECT_FALSE(entries_of(bundle, "Encounter").empty());
  EXPECT_FALSE(entries_of(bundle, "MessageHeader").empty());

  std::string again, err2;
  ASSERT_EQ(convert({corpus_dir() + "/adt_a01.hl7"}, &again, &err2), 0);
  EXPECT_EQ(again, out) << "the same message must give the same bytes";
}

TEST_F(ConvertTest, SeveralMessagesPrintNdjsonInInputOrder) {
  std::string out, err;
  ASSERT_EQ(convert({corpus_dir() + "/adt_a01.hl7", corpus_dir() + "/adt_a03.hl7"}, &out, &err), 0)
      << err;
  auto ls = lines(out);
  ASSERT_EQ(ls.size(), 2u) << out;
  for (const std::string& l : ls) EXPECT_EQ(parse_or_fail(l).find("type")->text(), "transaction");
}

TEST_F(ConvertTest, UnsupportedTypeExitsNonZeroNamingTheFieldWithoutContent) {
  std::string msg = with_msh_field(read_file(corpus_dir() + "/adt_a01.hl7"), 9, "ADT^A99^ADT_A01");
  std::string path = write_file(dir_.path(), "a99.hl7", msg);
  std::string out, err;
  EXPECT_EQ(convert({path}, &out, &err), 1);
  EXPECT_TRUE(out.empty()) << out;
  EXPECT_NE(err.find("MSH-9"), std::string::npos) << err;
  EXPECT_EQ(err.find("EVERYWOMAN"), std::string::npos) << err;
  EXPECT_EQ(err.find("100001"), std::string::npos) << err;
}

TEST_F(ConvertTest, ChannelMappingSettingsApply) {
  std::string msg_path = write_file(dir_.path(), "oru.hl7", kLocalOru);
  std::string config = write_file(dir_.path(), "gw.toml", R"([channel.lab]
listen = "127.0.0.1:0"
time_zone = "America/New_York"

[channel.lab.identifier_systems]
"CITYLAB" = "urn:oid:2.16.840.1.113883.3.999.77"

[channel.lab.code_map]
"99LAB|GLU" = "http://loinc.org|2345-7|Glucose [Mass/volume] in Serum or Plasma"

[channel.other]
listen = "127.0.0.1:0"
)");
  std::string plain, err;
  ASSERT_EQ(convert({msg_path}, &plain, &err), 0) << err;
  EXPECT_EQ(plain.find("2345-7"), std::string::npos);

  std::string mapped;
  err.clear();
  ASSERT_EQ(convert({"--config", config, "--channel", "lab", msg_path}, &mapped, &err), 0) << err;
  EXPECT_NE(mapped.find("\"http://loinc.org\""), std::string::npos) << mapped;
  EXPECT_NE(mapped.find("\"2345-7\""), std::string::npos);
  EXPECT_NE(mapped.find("urn:oid:2.16.840.1.113883.3.999.77"), std::string::npos);
  // Naive 2024-07-06 11:30 in New York is daylight time, UTC-4.
  EXPECT_NE(mapped.find("2024-07-06T11:30:00-04:00"), std::string::npos) << mapped;
  // The decimal keeps its written precision.
  EXPECT_NE(mapped.find("5.50"), std::string::npos);

  // Several channels and no --channel: a usage error naming them.
  std::string out2, err2;
  EXPECT_EQ(convert({"--config", config, msg_path}, &out2, &err2), 2);
  EXPECT_NE(err2.find("lab, other"), std::string::npos) << err2;
}

class NormalizeEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gw_ = std::make_unique<GatewaydProcess>(dir_.path());
    if (gw::Status started = gw_->start(); !started.ok()) FAIL() << started.message();
  }
  hl7::AckSummary send(const std::string& msg) {
    auto c = mllp::Client::connect("127.0.0.1", gw_->port(), 5s);
    EXPECT_TRUE(c.ok()) << c.status().message();
    if (!c.ok()) return {};
    gw::Status sent = (*c)->send(msg);
    EXPECT_TRUE(sent.ok()) << sent.message();
    auto reply = (*c)->receive(10s);
    EXPECT_TRUE(reply.ok()) << reply.status().message();
    auto ack = hl7::read_ack(reply.value_or(""));
    EXPECT_TRUE(ack.ok());
    return ack.value_or(hl7::AckSummary{});
  }
  std::vector<fhir::JsonValue> export_records(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {gatewayctl_path(), "records", "export", "--config",
                                     gw_->config_path()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::string out, err;
    EXPECT_EQ(run_command(argv, &out, &err), 0) << err;
    std::vector<fhir::JsonValue> records;
    for (const std::string& l : lines(out)) records.push_back(parse_or_fail(l));
    return records;
  }
  TempDir dir_;
  std::unique_ptr<GatewaydProcess> gw_;
};

size_t count_type(const std::vector<fhir::JsonValue>& records, const std::string& type) {
  size_t n = 0;
  for (const auto& r : records)
    if (r.find("resourceType") && r.find("resourceType")->text() == type) ++n;
  return n;
}

TEST_F(NormalizeEndToEndTest, StoredRecordsAreExportedAndReplaysMakeNoNewVersions) {
  const std::string a01 = original_mode(read_file(corpus_dir() + "/adt_a01.hl7"));
  EXPECT_EQ(send(a01).code, "AA");
  auto first = export_records();
  ASSERT_EQ(count_type(first, "Patient"), 1u);
  for (const auto& r : first) {
    const fhir::JsonValue* meta = r.find("meta");
    ASSERT_NE(meta, nullptr);
    EXPECT_EQ(meta->find("versionId")->text(), "1");
    EXPECT_NE(meta->find("lastUpdated"), nullptr);
    EXPECT_NE(r.find("id"), nullptr);
  }
  // The same content under a new control id: the Patient is unchanged, so no
  // new Patient version is written.
  EXPECT_EQ(send(with_control_id(a01, "ADT0001A01-RESENT")).code, "AA");
  auto second = export_records();
  EXPECT_EQ(count_type(second, "Patient"), 1u);
  EXPECT_GT(second.size(), first.size());  // a new MessageHeader/Provenance

  // Export by time window: nothing before 2000.
  EXPECT_TRUE(export_records({"--until", "2000-01-01"}).empty());
  EXPECT_EQ(export_records({"--since", "2000-01-01", "--type", "Patient"}).size(), 1u);

  // Each export is one entry of the audit trail (read with the gateway's
  // keys, as gatewayctl does): the operator, the type asked for, the count.
  auto cfg = config::load_config(gw_->config_path());
  ASSERT_TRUE(cfg.ok()) << cfg.error().message();
  auto loaded = keys::load_keys(*cfg);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  auto audit_keys =
      audit::AuditKeys::create(loaded->working.record_key, loaded->working.record_key_id);
  ASSERT_TRUE(audit_keys.ok()) << audit_keys.error().message();
  loaded->key_store.reset();
  auto log = audit::AuditLog::open(cfg->audit_path(), *audit_keys);
  ASSERT_TRUE(log.ok()) << log.error().message();
  audit::AuditQuery q;
  q.actor = audit::Actor{audit::ActorKind::kOperator, ""};
  q.limit = 100;
  auto page = (*log)->query(q);
  ASSERT_TRUE(page.ok()) << page.error().message();
  std::vector<audit::AuditEntry> exports;
  for (const audit::StoredAuditEntry& e : page->entries) {
    if (e.entry.action == audit::Action::kExport) exports.push_back(e.entry);
  }
  ASSERT_EQ(exports.size(), 4u);
  const std::vector<std::string> details = {std::to_string(first.size()) + " record versions",
                                            std::to_string(second.size()) + " record versions",
                                            "0 record versions", "1 record versions"};
  for (size_t i = 0; i < exports.size(); ++i) {
    EXPECT_EQ(exports[i].outcome.kind, audit::OutcomeKind::kSuccess) << i;
    EXPECT_EQ(exports[i].detail, details[i]) << i;
    EXPECT_FALSE(exports[i].patient.has_value()) << i;
    EXPECT_EQ(exports[i].resource_type, i == 3 ? "Patient" : "") << i;
  }
}

TEST_F(NormalizeEndToEndTest, AnExportThatCannotBeAuditedWritesNothing) {
  EXPECT_EQ(send(original_mode(read_file(corpus_dir() + "/adt_a01.hl7"))).code, "AA");
  auto cfg = config::load_config(gw_->config_path());
  ASSERT_TRUE(cfg.ok()) << cfg.error().message();
  // The audit trail is unusable (a file in its place that is not it).
  ASSERT_EQ(gw_->terminate(), 0) << gw_->output();
  std::filesystem::remove(cfg->audit_path() + "-wal");
  std::filesystem::remove(cfg->audit_path() + "-shm");
  { std::ofstream(cfg->audit_path(), std::ios::trunc) << "not an audit log"; }
  std::string out, err;
  EXPECT_EQ(run_command({gatewayctl_path(), "records", "export", "--config", gw_->config_path()},
                        &out, &err),
            1);
  EXPECT_TRUE(out.empty()) << "no record leaves without its audit entry";
  EXPECT_NE(err.find("audit trail"), std::string::npos) << err;
}

TEST_F(NormalizeEndToEndTest, UnmappableMessageIsAnsweredAeAndKeptInTheErrorQueue) {
  std::string msg = original_mode(read_file(corpus_dir() + "/adt_a01.hl7"));
  msg = with_control_id(with_msh_field(msg, 9, "ADT^A99^ADT_A01"), "UNMAPPABLE-1");
  hl7::AckSummary ack = send(msg);
  EXPECT_EQ(ack.code, "AE");
  ASSERT_FALSE(ack.errors.empty());
  EXPECT_EQ(ack.errors[0].where.segment_id, "MSH");
  EXPECT_EQ(ack.errors[0].where.field, 9);
  EXPECT_TRUE(export_records().empty());
  std::string out;
  ASSERT_EQ(run_command({gatewayctl_path(), "messages", "list", "--config", gw_->config_path(),
                         "--rejected"},
                        &out),
            0);
  EXPECT_NE(out.find("UNMAPPABLE-1"), std::string::npos) << out;
  EXPECT_NE(out.find("MSH(1)-9: Unsupported message type (200)"), std::string::npos) << out;
  EXPECT_EQ(gw_->output().find("EVERYWOMAN"), std::string::npos);
}

}  // namespace
}  // namespace gw::testing
