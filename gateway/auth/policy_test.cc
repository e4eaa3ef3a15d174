#include "gateway/auth/policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gw::auth {
namespace {

ClientGrant grant(const std::vector<std::string>& scopes,
                  const std::vector<std::string>& roles = {}) {
  Result<ClientGrant> g = make_client_grant(scopes, roles);
  EXPECT_TRUE(g.ok()) << g.error().message();
  return g.ok() ? *g : ClientGrant{};
}

// The columns of the table below, in order.
struct Column {
  std::string name;
  ClientGrant grant;
};
std::vector<Column> columns() {
  return {
      {"system/*.rs", grant({"system/*.rs"})},
      {"system/Patient.cruds", grant({"system/Patient.cruds"})},
      {"system/Observation.cud", grant({"system/Observation.cud"})},
      {"system/*.cruds", grant({"system/*.cruds"})},
      {"admin", grant({}, {"admin"})},
      {"auditor", grant({}, {"auditor"})},
  };
}

struct Row {
  std::string name;
  AccessRequest request;
  std::string expected;  // per column: A allowed, D permission denied, I invalid request
};

AccessRequest req(Interaction i, std::string_view type = {}) {
  AccessRequest r;
  r.interaction = i;
  r.resource_type = type;
  return r;
}
AccessRequest op(std::string_view name, std::string_view type) {
  AccessRequest r = req(Interaction::kOperation, type);
  r.operation = name;
  return r;
}
AccessRequest with(AccessRequest r, void (*f)(AccessRequest&)) {
  f(r);
  return r;
}

TEST(Policy, EveryInteractionAgainstRepresentativeGrants) {
  using I = Interaction;
  const std::vector<Row> rows = {
      //                                                           *.rs Pat Obs *.all adm aud
      {"GET /metadata", req(I::kCapabilities), "AAAAAA"},
      {"GET smart-configuration", req(I::kSmartConfiguration), "AAAAAA"},
      {"POST /auth/token", req(I::kTokenRequest), "AAAAAA"},
      {"read Patient", req(I::kRead, "Patient"), "AADADD"},
      {"vread Patient", req(I::kVread, "Patient"), "AADADD"},
      {"history Patient/id", req(I::kHistoryInstance, "Patient"), "AADADD"},
      {"read Observation", req(I::kRead, "Observation"), "ADDADD"},
      {"search Patient", req(I::kSearchType, "Patient"), "AADADD"},
      {"search Observation", req(I::kSearchType, "Observation"), "ADDADD"},
      {"history Patient", req(I::kHistoryType, "Patient"), "AADADD"},
      {"search system (no _type)", req(I::kSearchSystem), "ADDADD"},
      {"search system _type=Patient",
       with(req(I::kSearchSystem), [](AccessRequest& r) { r.types = {"Patient"}; }), "AADADD"},
      {"search system _type=Patient,Observation",
       with(req(I::kSearchSystem),
            [](AccessRequest& r) {
              r.types = {"Patient", "Observation"};
            }),
       "ADDADD"},
      {"history system", req(I::kHistorySystem), "ADDADD"},
      {"create Patient", req(I::kCreate, "Patient"), "DADADD"},
      {"create Observation", req(I::kCreate, "Observation"), "DDAADD"},
      {"conditional create Observation",
       with(req(I::kCreate, "Observation"), [](AccessRequest& r) { r.conditional = true; }),
       "DDDADD"},
      {"update Patient", req(I::kUpdate, "Patient"), "DADADD"},
      {"update-as-create Observation",
       with(req(I::kUpdate, "Observation"), [](AccessRequest& r) { r.creates = true; }), "DDAADD"},
      {"conditional update Patient",
       with(req(I::kUpdate, "Patient"), [](AccessRequest& r) { r.conditional = true; }), "DADADD"},
      {"patch Observation", req(I::kPatch, "Observation"), "DDAADD"},
      {"delete Observation", req(I::kDelete, "Observation"), "DDAADD"},
      {"delete Patient", req(I::kDelete, "Patient"), "DADADD"},
      {"transaction envelope", req(I::kBundle), "AAAAAA"},
      {"Patient/id/$transfer", op("transfer", "Patient"), "ADDADD"},
      {"$request-transfer", op("request-transfer", ""), "DDDADD"},
      {"Patient/id/$everything", op("everything", "Patient"), "ADDADD"},
      {"Patient/id/$access-report", op("access-report", "Patient"), "DDDDDA"},
      {"$transfer on Observation", op("transfer", "Observation"), "IIIIII"},
      {"$request-transfer on Patient", op("request-transfer", "Patient"), "IIIIII"},
      {"unknown $validate", op("validate", "Patient"), "DDDDDD"},
      {"/admin/metrics", req(I::kAdmin), "DDDDAD"},
      {"audit verify", req(I::kAudit), "DDDDDA"},
      {"search AuditEvent", req(I::kSearchType, "AuditEvent"), "DDDDDA"},
      {"read AuditEvent", req(I::kRead, "AuditEvent"), "DDDDDA"},
      {"create AuditEvent", req(I::kCreate, "AuditEvent"), "DDDDDD"},
      {"delete AuditEvent", req(I::kDelete, "AuditEvent"), "DDDDDD"},
      {"read of no type", req(I::kRead), "IIIIII"},
      {"read of a non-type", req(I::kRead, "Patients"), "IIIIII"},
      {"read of an abstract type", req(I::kRead, "DomainResource"), "IIIIII"},
  };
  const std::vector<Column> cols = columns();
  for (const Row& row : rows) {
    ASSERT_EQ(row.expected.size(), cols.size()) << row.name;
    for (size_t i = 0; i < cols.size(); ++i) {
      const Status s = authorize(cols[i].grant, row.request);
      const char got = s.ok()                                      ? 'A'
                       : s.code() == StatusCode::kPermissionDenied ? 'D'
                       : s.code() == StatusCode::kInvalidArgument  ? 'I'
                                                                   : '?';
      EXPECT_EQ(got, row.expected[i])
          << row.name << " with " << cols[i].name << ": " << s.to_string();
    }
  }
}

std::string denial(const ClientGrant& g, const AccessRequest& r) {
  Status s = authorize(g, r);
  EXPECT_FALSE(s.ok());
  return s.message();
}

TEST(Policy, DenialsNameTheMissingPermission) {
  using I = Interaction;
  const ClientGrant read_all = grant({"system/*.rs"});
  EXPECT_EQ(denial(read_all, req(I::kCreate, "Observation")), "needs system/Observation.c");
  EXPECT_EQ(denial(grant({"system/Observation.r"}), req(I::kSearchType, "Observation")),
            "needs system/Observation.s");
  AccessRequest upsert = req(I::kUpdate, "Patient");
  upsert.creates = true;
  EXPECT_EQ(denial(read_all, upsert), "needs system/Patient.cu");
  EXPECT_EQ(denial(grant({"system/Patient.u"}), upsert), "needs system/Patient.c");
  EXPECT_EQ(denial(grant({"system/Patient.rs"}), req(I::kSearchSystem)),
            "needs system/*.s (no _type: every type)");
  EXPECT_EQ(denial(grant({"system/Patient.cruds"}), op("transfer", "Patient")),
            "needs system/*.r ($transfer sends records of every type)");
  EXPECT_EQ(denial(read_all, req(I::kAdmin)), "needs the admin role");
  EXPECT_EQ(denial(grant({"system/*.cruds"}, {"admin"}), op("access-report", "Patient")),
            "needs the auditor role");
  // The request's own text (an unknown operation's name) is not repeated.
  EXPECT_EQ(denial(read_all, op("Smith-John", "Patient")), "no access rule for this operation");
}

TEST(Policy, WildcardReadGrantsNoWriteAndOneTypeGrantsNoOther) {
  const ClientGrant read_all = grant({"system/*.rs"});
  const ClientGrant patient = grant({"system/Patient.cruds"});
  for (Interaction write :
       {Interaction::kCreate, Interaction::kUpdate, Interaction::kPatch, Interaction::kDelete}) {
    for (std::string_view type : {"Patient", "Observation", "Consent", "Bundle"}) {
      EXPECT_FALSE(authorize(read_all, req(write, type)).ok()) << type;
    }
    EXPECT_TRUE(authorize(patient, req(write, "Patient")).ok());
    EXPECT_FALSE(authorize(patient, req(write, "Observation")).ok());
  }
  for (Interaction read : {Interaction::kRead, Interaction::kVread, Interaction::kSearchType,
                           Interaction::kHistoryInstance, Interaction::kHistoryType}) {
    EXPECT_TRUE(authorize(patient, req(read, "Patient")).ok());
    EXPECT_FALSE(authorize(patient, req(read, "Observation")).ok());
    EXPECT_FALSE(authorize(patient, req(read, "Practitioner")).ok());
  }
}

TEST(Policy, V1ScopesDecideLikeTheirV2Equivalents) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"system/*.read", "system/*.rs"},
      {"system/Patient.write", "system/Patient.cud"},
      {"system/Observation.*", "system/Observation.cruds"},
  };
  for (const auto& [v1, v2] : pairs) {
    const ClientGrant a = grant({v1});
    const ClientGrant b = grant({v2});
    for (Interaction i : {Interaction::kRead, Interaction::kSearchType, Interaction::kCreate,
                          Interaction::kUpdate, Interaction::kDelete, Interaction::kHistoryType}) {
      for (std::string_view type : {"Patient", "Observation"}) {
        EXPECT_EQ(authorize(a, req(i, type)).ok(), authorize(b, req(i, type)).ok())
            << v1 << " vs " << v2 << " on " << type;
      }
    }
  }
}

TEST(Policy, IncludedTypesNeedTheirOwnPermissions) {
  AccessRequest r = req(Interaction::kSearchType, "Observation");
  r.included_types = {"Patient"};
  EXPECT_TRUE(authorize(grant({"system/Observation.s", "system/Patient.r"}), r).ok());
  EXPECT_EQ(denial(grant({"system/Observation.s", "system/Patient.s"}), r),
            "needs system/Patient.r (for _include)");
  r.included_types.clear();
  r.revincluded_types = {"Provenance"};
  EXPECT_TRUE(authorize(grant({"system/Observation.s", "system/Provenance.s"}), r).ok());
  EXPECT_EQ(denial(grant({"system/Observation.s", "system/Provenance.r"}), r),
            "needs system/Provenance.s (for _revinclude)");
  r.revincluded_types = {"AuditEvent"};
  EXPECT_EQ(denial(grant({"system/*.cruds"}), r), "needs the auditor role");
}

TEST(Policy, OpenInteractions) {
  EXPECT_TRUE(is_open(Interaction::kCapabilities));
  EXPECT_TRUE(is_open(Interaction::kSmartConfiguration));
  EXPECT_TRUE(is_open(Interaction::kTokenRequest));
  EXPECT_FALSE(is_open(Interaction::kRead));
  EXPECT_FALSE(is_open(Interaction::kBundle));
  EXPECT_FALSE(is_open(Interaction::kAdmin));
}

}  // namespace
}  // namespace gw::auth
