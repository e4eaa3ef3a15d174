// JsonRpcClient over https against a local Poco HTTPS server with a throwaway
// self-signed certificate: trusted via ca_file it works (on one connection);
// with the system store (which does not hold it) the handshake is refused.
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "ledger-client/rpc/json_rpc.h"
#include "ledger-client/testing/anvil_process.h"

namespace gw::ledger {
namespace {

class Echo : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    std::string body;
    Poco::StreamCopier::copyToString(req.stream(), body);
    const std::string reply = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x1\"}";
    // The client's first request id is 1.
    resp.setContentType("application/json");
    resp.setContentLength(static_cast<std::streamsize>(reply.size()));
    resp.send() << reply;
  }
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Echo;
  }
};

TEST(JsonRpcTlsTest, TrustedByCaFileOnlyAndKeepsTheConnection) {
  testing::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string cert = dir.path() + "/cert.pem", key = dir.path() + "/key.pem";
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl CLI needed";

  Poco::Net::initializeSSL();
  Poco::Net::Context::Ptr server_ctx = new Poco::Net::Context(
      Poco::Net::Context::TLS_SERVER_USE, key, cert, "", Poco::Net::Context::VERIFY_NONE);
  Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, server_ctx);
  const int port = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setKeepAlive(true);
  Poco::Net::HTTPServer server(new Factory, socket, params);
  server.start();

  const std::string url = "https://127.0.0.1:" + std::to_string(port);
  {
    auto client = JsonRpcClient::create({.url = url, .ca_file = cert});
    ASSERT_TRUE(client.ok()) << client.error();
    auto r = (*client)->call("eth_chainId", "[]");
    ASSERT_TRUE(r.ok()) << r.failure().describe();
    EXPECT_EQ(*r, "\"0x1\"");
    // The next request reuses the TLS connection (its reply id will not match
    // our fixed 1, which is fine: only the connection count matters here).
    (void)(*client)->call("eth_chainId", "[]");
    EXPECT_EQ((*client)->connections_opened(), 1u);
  }
  {
    auto client = JsonRpcClient::create({.url = url});
    ASSERT_TRUE(client.ok()) << client.error();
    auto r = (*client)->call("eth_chainId", "[]");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.failure().kind, RpcFailure::Kind::kUnreachable) << r.failure().describe();
  }
  server.stopAll(true);
}

}  // namespace
}  // namespace gw::ledger
