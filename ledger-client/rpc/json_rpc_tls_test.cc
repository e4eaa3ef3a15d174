// JsonRpcClient over https against a local Poco HTTPS server with throwaway
// self-signed certificates: trusted via ca_file it works (on one connection);
// with the system store (which does not hold it) the handshake is refused; a
// node requiring client certificates admits only the configured one; a
// trusted certificate for another host name is refused.
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
    ASSERT_TRUE(client.ok()) << client.error().message();
    auto r = (*client)->call("eth_chainId", "[]");
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(*r, "\"0x1\"");
    // The next request reuses the TLS connection (its reply id will not match
    // our fixed 1, which is fine: only the connection count matters here).
    (void)(*client)->call("eth_chainId", "[]");
    EXPECT_EQ((*client)->connections_opened(), 1u);
  }
  {
    auto client = JsonRpcClient::create({.url = url});
    ASSERT_TRUE(client.ok()) << client.error().message();
    auto r = (*client)->call("eth_chainId", "[]");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, RpcFailure::Kind::kUnreachable) << r.error().describe();
  }
  server.stopAll(true);
}

// A self-signed certificate and key for `subject_alt_name` (e.g. "IP:127.0.0.1").
bool make_cert(const std::string& dir, const std::string& name, const std::string& san) {
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=" + name +
                          " -addext subjectAltName=" + san + " -keyout " + dir + "/" + name +
                          ".key -out " + dir + "/" + name + ".pem >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// An https server on 127.0.0.1 answering every request with result "0x1".
class TlsServer {
 public:
  explicit TlsServer(Poco::Net::Context::Ptr context)
      : socket_(Poco::Net::SocketAddress("127.0.0.1", 0), 64, context),
        server_(new Factory, socket_, new Poco::Net::HTTPServerParams) {
    server_.start();
  }
  ~TlsServer() { server_.stopAll(true); }
  std::string url() const {
    return "https://127.0.0.1:" + std::to_string(socket_.address().port());
  }

 private:
  Poco::Net::SecureServerSocket socket_;
  Poco::Net::HTTPServer server_;
};

// A node that requires client certificates (mutual TLS, as a Besu node with
// client authentication does) admits the gateway with its certificate only.
TEST(JsonRpcTlsTest, MutualTlsAdmitsOnlyTheConfiguredClientCertificate) {
  testing::TempDir dir;
  ASSERT_TRUE(make_cert(dir.path(), "node", "IP:127.0.0.1")) << "openssl CLI needed";
  // Poco's server also matches a client certificate's names against the peer
  // address, so both client certificates name 127.0.0.1: the stranger is then
  // refused for not being trusted, not for its name.
  ASSERT_TRUE(make_cert(dir.path(), "gateway", "IP:127.0.0.1"));
  ASSERT_TRUE(make_cert(dir.path(), "stranger", "IP:127.0.0.1"));
  Poco::Net::initializeSSL();
  // The node trusts the gateway's (self-signed) certificate as its client CA.
  Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
      Poco::Net::Context::TLS_SERVER_USE, dir.path() + "/node.key", dir.path() + "/node.pem",
      dir.path() + "/gateway.pem", Poco::Net::Context::VERIFY_STRICT);
  TlsServer server(ctx);
  const std::string ca = dir.path() + "/node.pem";

  auto with_cert = JsonRpcClient::create({.url = server.url(),
                                          .ca_file = ca,
                                          .client_cert_file = dir.path() + "/gateway.pem",
                                          .client_key_file = dir.path() + "/gateway.key"});
  ASSERT_TRUE(with_cert.ok()) << with_cert.error().message();
  auto r = (*with_cert)->call("eth_chainId", "[]");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(*r, "\"0x1\"");

  auto without = JsonRpcClient::create({.url = server.url(), .ca_file = ca});
  ASSERT_TRUE(without.ok()) << without.error().message();
  r = (*without)->call("eth_chainId", "[]");
  ASSERT_FALSE(r.ok()) << "the node must refuse a client without a certificate";
  EXPECT_EQ(r.error().kind, RpcFailure::Kind::kUnreachable) << r.error().describe();

  auto other = JsonRpcClient::create({.url = server.url(),
                                      .ca_file = ca,
                                      .client_cert_file = dir.path() + "/stranger.pem",
                                      .client_key_file = dir.path() + "/stranger.key"});
  ASSERT_TRUE(other.ok()) << other.error().message();
  r = (*other)->call("eth_chainId", "[]");
  ASSERT_FALSE(r.ok()) << "the node must refuse a certificate it does not trust";
}

// A certificate the client trusts, but issued for another name than the URL's
// host, is refused: trusting a CA must not mean trusting every host it signed.
TEST(JsonRpcTlsTest, CertificateForAnotherHostIsRefused) {
  testing::TempDir dir;
  ASSERT_TRUE(make_cert(dir.path(), "elsewhere", "DNS:node.elsewhere.example"))
      << "openssl CLI needed";
  Poco::Net::initializeSSL();
  Poco::Net::Context::Ptr ctx =
      new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, dir.path() + "/elsewhere.key",
                             dir.path() + "/elsewhere.pem", "", Poco::Net::Context::VERIFY_NONE);
  TlsServer server(ctx);
  auto client =
      JsonRpcClient::create({.url = server.url(), .ca_file = dir.path() + "/elsewhere.pem"});
  ASSERT_TRUE(client.ok()) << client.error().message();
  auto r = (*client)->call("eth_chainId", "[]");
  ASSERT_FALSE(r.ok()) << "connected to 127.0.0.1 with a certificate for node.elsewhere.example";
  EXPECT_EQ(r.error().kind, RpcFailure::Kind::kUnreachable) << r.error().describe();
  EXPECT_NE(r.error().describe().find("certificate failed verification"), std::string::npos)
      << r.error().describe();
}

}  // namespace
}  // namespace gw::ledger
