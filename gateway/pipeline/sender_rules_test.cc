#include "gateway/pipeline/sender_rules.h"

#include <gtest/gtest.h>

namespace gw::pipeline {
namespace {

config::Cidr block(const std::string& text) {
  config::Cidr c;
  EXPECT_EQ(config::parse_cidr(text, &c), "") << text;
  return c;
}

hl7::Header header(const std::string& application, const std::string& facility) {
  hl7::Header h;
  h.sending_application_hd.namespace_id = application;
  h.sending_facility_hd.namespace_id = facility;
  return h;
}

mllp::PeerInfo peer(const std::string& address, const std::string& sha256 = "",
                    const std::string& subject = "") {
  mllp::PeerInfo p;
  p.address = address;
  p.cert_sha256 = sha256;
  p.cert_subject = subject;
  return p;
}

const std::string kFpEhr(64, 'a');
const std::string kFpOther(64, 'b');

SenderRules rules() {
  config::SenderRuleConfig epic;
  epic.name = "epic";
  epic.applications = {"EPIC"};
  epic.facilities = {"GENHOSP"};
  epic.addresses = {block("10.20.0.0/24"), block("2001:db8::/32")};
  config::SenderRuleConfig lab;
  lab.name = "lab";
  lab.applications = {"LIS"};
  lab.cert_sha256 = {kFpEhr};
  lab.cert_subjects = {"CN=lis,O=General Hospital"};
  config::SenderRuleConfig engine;  // any sender, from one host with one certificate
  engine.name = "engine";
  engine.addresses = {block("10.30.0.9")};
  engine.cert_sha256 = {kFpOther};
  return SenderRules({epic, lab, engine});
}

const std::string* allowed(const SenderRules& r, const hl7::Header& h, const mllp::PeerInfo& p) {
  return r.allowing_rule(h, p);
}

TEST(SenderRulesTest, NoRulesAllowNothingByThemselvesAndSayEmpty) {
  SenderRules none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.allowing_rule(header("EPIC", "GENHOSP"), peer("10.20.0.1:5000")), nullptr);
  EXPECT_FALSE(rules().empty());
}

TEST(SenderRulesTest, SenderAndAddressMustBothMatch) {
  const SenderRules r = rules();
  const std::string* rule = allowed(r, header("EPIC", "GENHOSP"), peer("10.20.0.7:40000"));
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(*rule, "epic");
  EXPECT_NE(allowed(r, header("EPIC", "GENHOSP"), peer("[2001:db8::7]:40000")), nullptr);
  EXPECT_NE(allowed(r, header("EPIC", "GENHOSP"), peer("[::ffff:10.20.0.7]:40000")), nullptr);
  // The right sender from the wrong address, the wrong sender from the right one.
  EXPECT_EQ(allowed(r, header("EPIC", "GENHOSP"), peer("10.20.1.7:40000")), nullptr);
  EXPECT_EQ(allowed(r, header("EPIC", "OTHERHOSP"), peer("10.20.0.7:40000")), nullptr);
  EXPECT_EQ(allowed(r, header("epic", "GENHOSP"), peer("10.20.0.7:40000")), nullptr);
  EXPECT_EQ(allowed(r, header("", ""), peer("10.20.0.7:40000")), nullptr);
  EXPECT_EQ(allowed(r, header("EPIC", "GENHOSP"), peer("unknown")), nullptr);
}

TEST(SenderRulesTest, CertificatesByFingerprintOrSubject) {
  const SenderRules r = rules();
  EXPECT_NE(allowed(r, header("LIS", "ANY"), peer("192.0.2.1:1", kFpEhr)), nullptr);
  EXPECT_NE(
      allowed(r, header("LIS", ""), peer("192.0.2.1:1", kFpOther, "CN=lis,O=General Hospital")),
      nullptr);
  EXPECT_EQ(allowed(r, header("LIS", ""), peer("192.0.2.1:1")), nullptr);  // no certificate
  EXPECT_EQ(allowed(r, header("LIS", ""), peer("192.0.2.1:1", kFpOther, "CN=lis")), nullptr);
  EXPECT_EQ(allowed(r, header("EPIC", "GENHOSP"), peer("192.0.2.1:1", kFpEhr)), nullptr);
}

TEST(SenderRulesTest, EveryConnectionCriterionGivenMustHold) {
  const SenderRules r = rules();
  const std::string* rule = allowed(r, header("ANYONE", "X"), peer("10.30.0.9:1", kFpOther));
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(*rule, "engine");
  EXPECT_EQ(allowed(r, header("ANYONE", "X"), peer("10.30.0.9:1")), nullptr);  // no certificate
  EXPECT_EQ(allowed(r, header("ANYONE", "X"), peer("10.30.0.8:1", kFpOther)), nullptr);
}

}  // namespace
}  // namespace gw::pipeline
