// The cost of one authorization decision on the FHIR read path (issue 17's
// "cost of authorization per FHIR read"): a client with a typical grant, a
// read and a search with an _include. Run: build/gateway/policy_bench
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "gateway/auth/policy.h"

namespace {

using namespace gw::auth;  // NOLINT: a bench

ClientGrant typical_grant() {
  gw::Result<ClientGrant> g =
      make_client_grant({"system/Patient.rs", "system/Observation.cruds", "system/Encounter.rs",
                         "system/Condition.rs", "system/Practitioner.r"},
                        {});
  if (!g.ok()) std::abort();
  return *g;
}

void BM_AuthorizeRead(benchmark::State& state) {
  const ClientGrant grant = typical_grant();
  AccessRequest r;
  r.interaction = Interaction::kRead;
  r.resource_type = "Observation";
  for (auto _ : state) benchmark::DoNotOptimize(authorize(grant, r).ok());
}
BENCHMARK(BM_AuthorizeRead);

void BM_AuthorizeSearchWithInclude(benchmark::State& state) {
  const ClientGrant grant = typical_grant();
  AccessRequest r;
  r.interaction = Interaction::kSearchType;
  r.resource_type = "Observation";
  r.included_types = {"Patient", "Practitioner"};
  for (auto _ : state) benchmark::DoNotOptimize(authorize(grant, r).ok());
}
BENCHMARK(BM_AuthorizeSearchWithInclude);

void BM_AuthorizeDenied(benchmark::State& state) {
  const ClientGrant grant = typical_grant();
  AccessRequest r;
  r.interaction = Interaction::kCreate;
  r.resource_type = "Patient";
  for (auto _ : state) benchmark::DoNotOptimize(authorize(grant, r).ok());
}
BENCHMARK(BM_AuthorizeDenied);

}  // namespace

BENCHMARK_MAIN();
