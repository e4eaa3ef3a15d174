// Fuzz target: POST /auth/token's form body, the first thing an
// unauthenticated client controls. Besides not crashing: parse_form never
// returns a repeated name or more than 16 pairs, and the endpoint (with one
// configured client, real stores in a temporary folder) answers a JSON body
// with an OAuth error code for anything it refuses.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "gateway/auth/token_endpoint.h"

namespace {

struct Endpoint {
  std::filesystem::path dir;
  std::unique_ptr<gw::auth::JtiStore> jtis;
  std::unique_ptr<gw::auth::TokenStore> tokens;
  std::unique_ptr<gw::auth::ClientRegistry> clients;
  std::unique_ptr<gw::auth::TokenEndpoint> endpoint;

  Endpoint() {
    dir = std::filesystem::temp_directory_path() /
          ("token_form_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    jtis = gw::auth::JtiStore::open(dir / "auth.db").value();
    tokens = gw::auth::TokenStore::open(dir / "auth.db").value();
    gw::auth::RegisteredClient c;
    c.name = "registry";
    c.grant = gw::auth::make_client_grant({"system/Patient.rs"}, {}).value();
    c.jwks = gw::auth::Jwks::parse(R"({"keys":[{"kty":"EC","crv":"P-256","kid":"a3",)"
                                   R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
                                   R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})")
                 .value();
    clients = std::make_unique<gw::auth::ClientRegistry>(std::vector{c});
    endpoint = std::make_unique<gw::auth::TokenEndpoint>(
        clients.get(), jtis.get(), tokens.get(),
        gw::auth::TokenEndpointOptions{"https://gw.example/auth/token", 60});
  }
  ~Endpoint() { std::filesystem::remove_all(dir); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Endpoint e;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  std::vector<std::pair<std::string, std::string>> form;
  if (gw::auth::parse_form(body, &form)) {
    std::set<std::string> names;
    for (const auto& [k, v] : form) {
      if (!names.insert(k).second) std::abort();
    }
    if (form.size() > 16) std::abort();
  }
  const gw::auth::TokenReply r =
      e.endpoint->handle("application/x-www-form-urlencoded", body, 1'780'000'000);
  if (r.status != 200 && (r.reason.empty() || r.body.find("\"error\"") == std::string::npos)) {
    std::abort();
  }
  return 0;
}
