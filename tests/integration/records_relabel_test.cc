// test-needs: integration
// `gatewayctl records relabel`, from outside: records stored before a label
// rule existed (written straight to a real store, as an older gatewayd would
// have) get a new, labeled version; records that gain nothing keep their
// version; a second run writes nothing; a rule added to the configuration
// later applies at the next run. Only counts are printed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fhir/json/canonical.h"
#include "gateway/config/config.h"
#include "gateway/keys/key_options.h"
#include "gateway/labels/record_scope.h"
#include "gateway/store/message_store.h"
#include "tests/support/gatewayd_process.h"

namespace gw::testing {
namespace {

using ledger::consortium::Label;
using ledger::consortium::label_bit;

std::string write_config(const std::string& dir, const std::string& labels_table) {
  const std::string path = dir + "/gatewayd.toml";
  std::ofstream f(path);
  f << "[gateway]\nstate_dir = \"" << dir << "/state\"\n\n"
    << "[keys]\nstore = \"software\"\nconsortium_id = \"" << kTestConsortiumId << "\"\n\n"
    << "[labels]\n"
    << labels_table << "\n"
    << "[channel.test]\nlisten = \"127.0.0.1:0\"\n";
  return path;
}

int ctl(const std::vector<std::string>& args, std::string* out, std::string* err) {
  std::vector<std::string> argv{gatewayctl_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, out, err);
}

std::string condition(const std::string& id, const std::string& code) {
  return R"({"resourceType":"Condition","id":")" + id +
         R"(","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":")" +
         code + R"("}]}})";
}

class RecordsRelabelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = write_config(dir_.path(), "defaults = true");
    std::string out, err;
    ASSERT_EQ(ctl({"tpm", "provision", "--config", config_}, &out, &err), 0) << out << err;
    {
      std::ofstream k(dir_.path() + "/consortium.key");
      k << kTestConsortiumKeyHex << "\n";
    }
    ASSERT_EQ(
        ctl({"tpm", "import-consortium-key", "--config", config_, dir_.path() + "/consortium.key"},
            &out, &err),
        0)
        << out << err;
    // Records as an older gatewayd stored them: no labels. The PSY condition
    // had an unremarkable first version; only its latest version counts.
    write({{"Condition", "c-psy", condition("c-psy", "I10")}});
    write({{"Condition", "c-psy", condition("c-psy", "F20.0")},
           {"Condition", "c-htn", condition("c-htn", "I10")},
           {"Encounter", "e1",
            R"({"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"IMP"},)"
            R"("diagnosis":[{"condition":{"reference":"Condition/c-psy"}}]})"},
           {"Patient", "p1", R"({"resourceType":"Patient","id":"p1"})"}});
  }

  std::unique_ptr<store::MessageStore> open_store() {
    auto cfg = config::load_config(config_);
    EXPECT_TRUE(cfg.ok()) << cfg.error().message();
    if (!cfg.ok()) return nullptr;
    auto keys = keys::load_keys(*cfg);
    EXPECT_TRUE(keys.ok()) << keys.error().message();
    if (!keys.ok()) return nullptr;
    std::filesystem::create_directories(cfg->state_dir);
    store::StoreOptions so;
    so.path = cfg->message_store_path();
    so.keys = keys->store_keys;
    auto s = store::MessageStore::open(so);
    EXPECT_TRUE(s.ok()) << s.error().message();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  struct Rec {
    std::string type, id, json;
  };
  void write(const std::vector<Rec>& recs) {
    auto s = open_store();
    ASSERT_NE(s, nullptr);
    store::InboundMessage m;
    m.channel = "test";
    m.message_type = "seed";
    m.status = store::MessageStatus::kAccepted;
    m.raw = "seed";
    for (const Rec& r : recs) {
      store::RecordWrite w;
      w.resource_type = r.type;
      w.resource_id = r.id;
      auto canonical = fhir::canonicalize_json(r.json);
      ASSERT_TRUE(canonical.ok()) << r.json;
      w.resource_json = *canonical;
      m.records.push_back(std::move(w));
    }
    ASSERT_EQ(s->submit_sync(std::move(m)).kind, store::CommitResult::Kind::kStored);
    s->close();
  }

  // The latest version of a record and its label bits.
  std::pair<int64_t, uint64_t> latest(const std::string& type, const std::string& id) {
    auto s = open_store();
    if (s == nullptr) return {0, 0};
    auto r = s->read_record(type, id);
    s->close();
    EXPECT_TRUE(r.has_value()) << type << "/" << id;
    if (!r) return {0, 0};
    auto parsed = fhir::parse_json(r->resource_json);
    EXPECT_TRUE(parsed.ok());
    return {r->version, parsed.ok() ? labels::record_label_bits(*parsed) : 0};
  }

  std::string relabel() {
    std::string out, err;
    EXPECT_EQ(ctl({"records", "relabel", "--config", config_}, &out, &err), 0) << out << err;
    EXPECT_EQ(err.find("F20"), std::string::npos) << "no content: " << err;
    EXPECT_EQ(out.find("c-psy"), std::string::npos) << "no content: " << out;
    return out;
  }

  TempDir dir_;
  std::string config_;
};

TEST_F(RecordsRelabelTest, WritesNewVersionsOnlyWhereLabelsChangeAndIsIdempotent) {
  EXPECT_EQ(latest("Condition", "c-psy"), std::make_pair(int64_t{2}, uint64_t{0}));

  EXPECT_EQ(relabel(), "examined 4 records, relabeled 2\n");
  EXPECT_EQ(latest("Condition", "c-psy"), std::make_pair(int64_t{3}, label_bit(Label::kPsy)));
  EXPECT_EQ(latest("Encounter", "e1"), std::make_pair(int64_t{2}, label_bit(Label::kPsy)))
      << "the encounter takes its diagnosis' label";
  EXPECT_EQ(latest("Condition", "c-htn"), std::make_pair(int64_t{1}, uint64_t{0}));
  EXPECT_EQ(latest("Patient", "p1"), std::make_pair(int64_t{1}, uint64_t{0}));

  EXPECT_EQ(relabel(), "examined 4 records, relabeled 0\n");
  EXPECT_EQ(latest("Condition", "c-psy").first, 3);

  // A rule added later applies at the next run.
  write_config(dir_.path(), "defaults = true\nMH = [\"icd10:I10\"]");
  EXPECT_EQ(relabel(), "examined 4 records, relabeled 1\n");
  EXPECT_EQ(latest("Condition", "c-htn"), std::make_pair(int64_t{2}, label_bit(Label::kMh)));
  EXPECT_EQ(latest("Condition", "c-psy"), std::make_pair(int64_t{3}, label_bit(Label::kPsy)));
}

TEST_F(RecordsRelabelTest, ABadRuleIsAConfigurationErrorAndWritesNothing) {
  write_config(dir_.path(), "PSY = [\"icd10:F99-F20\"]");
  std::string out, err;
  EXPECT_EQ(ctl({"records", "relabel", "--config", config_}, &out, &err), 1);
  EXPECT_NE(err.find("labels.PSY"), std::string::npos) << err;
  write_config(dir_.path(), "defaults = true");
  EXPECT_EQ(latest("Condition", "c-psy").first, 2);
  EXPECT_EQ(ctl({"records", "relabel"}, &out, &err), 2) << "--config is required";
}

}  // namespace
}  // namespace gw::testing
