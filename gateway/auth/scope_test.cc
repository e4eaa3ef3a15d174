#include "gateway/auth/scope.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/auth/client_grant.h"

namespace gw::auth {
namespace {

struct Valid {
  std::string text;
  std::string type;
  std::string letters;  // the permissions it grants, as "cruds" letters
};

TEST(ScopeParse, ValidScopes) {
  const std::vector<Valid> cases = {
      {"system/Patient.rs", "Patient", "rs"},
      {"system/Observation.cruds", "Observation", "cruds"},
      {"system/*.rs", "*", "rs"},
      {"system/*.c", "*", "c"},
      {"system/Encounter.s", "Encounter", "s"},
      {"system/Condition.cd", "Condition", "cd"},
      {"system/Consent.rus", "Consent", "rus"},
      // v1, mapped to v2.
      {"system/Patient.read", "Patient", "rs"},
      {"system/Patient.write", "Patient", "cud"},
      {"system/Patient.*", "Patient", "cruds"},
      {"system/*.read", "*", "rs"},
      {"system/*.*", "*", "cruds"},
  };
  for (const Valid& c : cases) {
    Result<Scope> s = parse_scope(c.text);
    ASSERT_TRUE(s.ok()) << c.text << ": " << s.error().message();
    EXPECT_EQ(s->resource_type, c.type) << c.text;
    EXPECT_EQ(permission_letters(s->permissions), c.letters) << c.text;
  }
}

struct Invalid {
  std::string text;
  StatusCode code;
  std::string reason;  // a part of the message
};

TEST(ScopeParse, InvalidScopesNameTheScopeAndTheReason) {
  const std::vector<Invalid> cases = {
      {"", StatusCode::kInvalidArgument, "empty"},
      {"system/Patient." + std::string(120, 'r'), StatusCode::kInvalidArgument,
       "longer than 128 bytes"},
      {"system/Patient.rs\n", StatusCode::kInvalidArgument, "character"},
      {"system/Patient.r s", StatusCode::kInvalidArgument, "character"},
      {"patient/Observation.rs", StatusCode::kInvalidArgument, "launch context"},
      {"user/*.cruds", StatusCode::kInvalidArgument, "launch context"},
      {"openid", StatusCode::kInvalidArgument, "not a resource scope"},
      {"launch/patient", StatusCode::kInvalidArgument, "not a resource scope"},
      {"System/Patient.rs", StatusCode::kInvalidArgument, "not a resource scope"},
      {"system/Patient", StatusCode::kInvalidArgument, "no '.'"},
      {"system/.rs", StatusCode::kInvalidArgument, "no resource type"},
      {"system/Pat*.rs", StatusCode::kInvalidArgument, "wildcard"},
      {"system/**.rs", StatusCode::kInvalidArgument, "wildcard"},
      {"system/Foo.rs", StatusCode::kInvalidArgument, "not a FHIR R4 resource type"},
      {"system/patient.rs", StatusCode::kInvalidArgument, "not a FHIR R4 resource type"},
      {"system/Resource.rs", StatusCode::kInvalidArgument, "not a FHIR R4 resource type"},
      {"system/DomainResource.rs", StatusCode::kInvalidArgument, "not a FHIR R4 resource type"},
      {"system/HumanName.rs", StatusCode::kInvalidArgument, "not a FHIR R4 resource type"},
      {"system/AuditEvent.rs", StatusCode::kInvalidArgument, "auditor role"},
      {"system/Patient.", StatusCode::kInvalidArgument, "permissions"},
      {"system/Patient.sr", StatusCode::kInvalidArgument, "permissions"},
      {"system/Patient.rr", StatusCode::kInvalidArgument, "permissions"},
      {"system/Patient.x", StatusCode::kInvalidArgument, "permissions"},
      {"system/Patient.R", StatusCode::kInvalidArgument, "permissions"},
      {"system/Patient.reads", StatusCode::kInvalidArgument, "permissions"},
      {"system/Patient.rs.s", StatusCode::kInvalidArgument, "permissions"},
      {"system/Patient.read?name=x", StatusCode::kInvalidArgument, "v1"},
      {"system/Observation.rs?category=http://terminology.hl7.org/CodeSystem/"
       "observation-category|laboratory",
       StatusCode::kUnimplemented, "search-parameter restrictions are not supported"},
      {"system/Observation.sr?category=x", StatusCode::kInvalidArgument, "permissions"},
  };
  for (const Invalid& c : cases) {
    Result<Scope> s = parse_scope(c.text);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_EQ(s.error().code(), c.code) << c.text << ": " << s.error().message();
    EXPECT_NE(s.error().message().find(c.reason), std::string::npos)
        << c.text << ": " << s.error().message();
    const bool printable = c.text.find_first_of(" \n") == std::string::npos;
    if (!c.text.empty() && c.text.size() <= kMaxScopeBytes && printable) {
      // A configured scope is named in full.
      EXPECT_NE(s.error().message().find("scope \"" + c.text + "\""), std::string::npos)
          << s.error().message();
    }
  }
}

TEST(ScopeParse, RequestedScopesAreNamedWithoutTheirQueryOrOddCharacters) {
  Result<Scope> restricted =
      parse_scope("system/Observation.rs?patient=Patient/123-45-6789", ScopeSource::kRequested, 2);
  ASSERT_FALSE(restricted.ok());
  EXPECT_EQ(restricted.error().message().find("123-45-6789"), std::string::npos);
  EXPECT_NE(restricted.error().message().find("requested scope 3 (\"system/Observation.rs?...\")"),
            std::string::npos)
      << restricted.error().message();

  Result<Scope> odd = parse_scope("system/J\xc3\xb6rg.rs", ScopeSource::kRequested, 0);
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().message().find("rg"), std::string::npos) << odd.error().message();
  EXPECT_NE(odd.error().message().find("requested scope 1 (15 bytes)"), std::string::npos)
      << odd.error().message();

  Result<Scope> name = parse_scope("system/JohnSmith.rs", ScopeSource::kRequested, 0);
  ASSERT_FALSE(name.ok());
  EXPECT_NE(name.error().message().find("not a FHIR R4 resource type"), std::string::npos);
}

ScopeSet set_of(const std::vector<std::string>& scopes) {
  Result<ScopeSet> s = parse_configured_scopes(scopes);
  EXPECT_TRUE(s.ok()) << s.error().message();
  return s.ok() ? *s : ScopeSet{};
}

TEST(ScopeSet, V1AndV2SpellingsGrantTheSame) {
  EXPECT_EQ(set_of({"system/Patient.read"}), set_of({"system/Patient.rs"}));
  EXPECT_EQ(set_of({"system/Patient.write"}), set_of({"system/Patient.cud"}));
  EXPECT_EQ(set_of({"system/Patient.*"}), set_of({"system/Patient.cruds"}));
  EXPECT_EQ(set_of({"system/Patient.read", "system/Patient.write"}), set_of({"system/Patient.*"}));
  EXPECT_EQ(set_of({"system/*.read"}), set_of({"system/*.rs"}));
  EXPECT_EQ(set_of({"system/*.*"}), set_of({"system/*.cruds"}));
  EXPECT_NE(set_of({"system/Patient.read"}), set_of({"system/Patient.r"}));
}

TEST(ScopeSet, PermissionsPerTypeAddUpAndWildcardsCountForEveryType) {
  ScopeSet s =
      set_of({"system/*.rs", "system/Patient.c", "system/Patient.u", "system/Observation.s"});
  EXPECT_EQ(s.on("Patient"), kCreate | kRead | kUpdate | kSearch);
  EXPECT_EQ(s.on("Observation"), kRead | kSearch);
  EXPECT_EQ(s.on("Encounter"), kRead | kSearch);
  EXPECT_EQ(s.on_every_type(), kRead | kSearch);
  EXPECT_EQ(s.to_string(), "system/*.rs system/Patient.cu");

  ScopeSet narrow = set_of({"system/Patient.cruds"});
  EXPECT_EQ(narrow.on("Observation"), 0);
  EXPECT_EQ(narrow.on_every_type(), 0);
  EXPECT_TRUE(ScopeSet{}.empty());
}

TEST(ScopeSet, ConfiguredListsAreBoundedAndFailOnTheFirstBadScope) {
  std::vector<std::string> many(kMaxScopes, "system/Patient.r");
  EXPECT_TRUE(parse_configured_scopes(many).ok());
  many.push_back("system/Patient.r");
  EXPECT_FALSE(parse_configured_scopes(many).ok());

  Result<ScopeSet> bad = parse_configured_scopes({"system/Patient.rs", "system/Obs.rs"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("\"system/Obs.rs\""), std::string::npos);
}

TEST(ScopeRequest, SpaceSeparatedAndBounded) {
  Result<ScopeSet> two = parse_requested_scopes("system/Patient.rs system/Observation.r");
  ASSERT_TRUE(two.ok()) << two.error().message();
  EXPECT_EQ(two->to_string(), "system/Observation.r system/Patient.rs");

  for (std::string bad :
       {" system/Patient.rs", "system/Patient.rs ", "system/Patient.rs  system/Observation.r"}) {
    Result<ScopeSet> r = parse_requested_scopes(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message().find("empty"), std::string::npos) << r.error().message();
  }
  std::string many;
  for (size_t i = 0; i <= kMaxScopes; ++i) many += (i ? " " : "") + std::string("system/Patient.r");
  EXPECT_FALSE(parse_requested_scopes(many).ok());
  EXPECT_FALSE(parse_requested_scopes(std::string(1 << 20, 'a')).ok());

  Result<ScopeSet> second = parse_requested_scopes("system/Patient.rs system/Nope.rs");
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message().find("requested scope 2"), std::string::npos);
}

TEST(ScopeRequest, TheGrantIsTheIntersectionWithTheConfiguredScopes) {
  const ScopeSet configured = set_of({"system/*.rs", "system/Observation.cruds"});
  struct Case {
    std::string requested;
    std::string granted;  // "" = refused
  };
  const std::vector<Case> cases = {
      {"", "system/*.rs system/Observation.cud"},  // none asked: all configured
      {"system/Observation.r", "system/Observation.r"},
      {"system/Patient.cruds", "system/Patient.rs"},  // fewer than asked
      {"system/*.cruds", "system/*.rs system/Observation.cud"},
      {"system/*.c", "system/Observation.c"},
      {"system/Patient.read system/Observation.write", "system/Observation.cud system/Patient.rs"},
      {"system/Patient.cud", ""},  // nothing asked for is configured
  };
  for (const Case& c : cases) {
    Result<ScopeSet> g = grant_requested_scopes(c.requested, configured);
    if (c.granted.empty()) {
      ASSERT_FALSE(g.ok()) << c.requested;
      EXPECT_EQ(g.error().code(), StatusCode::kPermissionDenied);
      continue;
    }
    ASSERT_TRUE(g.ok()) << c.requested << ": " << g.error().message();
    EXPECT_EQ(g->to_string(), c.granted) << c.requested;
  }
  const ScopeSet types = set_of({"system/Patient.rs", "system/Observation.r"});
  Result<ScopeSet> wide = grant_requested_scopes("system/*.cruds", types);
  ASSERT_TRUE(wide.ok());
  EXPECT_EQ(wide->to_string(), "system/Observation.r system/Patient.rs");
  EXPECT_FALSE(grant_requested_scopes("patient/*.rs", configured).ok());
}

TEST(ClientGrant, RolesAndScopes) {
  Result<ClientGrant> g = make_client_grant({"system/Patient.rs"}, {"admin", "auditor"});
  ASSERT_TRUE(g.ok()) << g.error().message();
  EXPECT_TRUE(g->admin);
  EXPECT_TRUE(g->auditor);
  EXPECT_TRUE(make_client_grant({}, {"auditor"}).ok());
  Result<ClientGrant> unknown = make_client_grant({"system/Patient.rs"}, {"root"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message().find("role \"root\""), std::string::npos);
  EXPECT_FALSE(make_client_grant({}, {}).ok());
  EXPECT_FALSE(make_client_grant({"system/Patient.rs?x=1"}, {}).ok());
}

}  // namespace
}  // namespace gw::auth
