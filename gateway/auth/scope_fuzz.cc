// Fuzz target: arbitrary bytes as a token request's "scope" parameter. Every
// input is granted a subset of the configured scopes or refused; a refusal's
// message is printable ASCII (no raw client bytes reach a log), and no grant
// ever exceeds the configuration.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gateway/auth/scope.h"

namespace {

using namespace gw::auth;  // NOLINT: a fuzz driver

void check(bool ok) {
  if (!ok) std::abort();
}

bool plain_message(const std::string& m) {
  for (char ch : m) {
    if (ch < 0x20 || ch > 0x7e) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ScopeSet configured = [] {
    ScopeSet s;
    s.add(Scope{"*", kRead | kSearch});
    s.add(Scope{"Observation", kAllPermissions});
    return s;
  }();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  gw::Result<ScopeSet> granted = grant_requested_scopes(input, configured);
  if (!granted.ok()) {
    check(plain_message(granted.error().message()));
    return 0;
  }
  check(granted->on_every_type() == (granted->on_every_type() & configured.on_every_type()));
  for (const Scope& s : granted->scopes()) {
    check(s.resource_type == "*" || (s.permissions & ~configured.on(s.resource_type)) == 0);
    check(parse_scope(s.to_string()).ok());
  }
  return 0;
}
