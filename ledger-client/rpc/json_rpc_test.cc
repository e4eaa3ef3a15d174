// JsonRpcClient against a local Poco HTTP server that misbehaves on purpose:
// keep-alive and reconnects, size and time bounds, HTTP statuses, malformed
// and hostile replies, batches.
#include "ledger-client/rpc/json_rpc.h"

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "ledger-client/rpc/rapidjson.h"
#include "ledger-client/rpc/test_http_server.h"

namespace gw::ledger {
namespace {

using testing::reply_json;
using testing::TestHttpServer;
using Kind = RpcFailure::Kind;
using Clock = std::chrono::steady_clock;

// The id of a single request's body.
uint64_t request_id(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  return d.IsObject() && d.HasMember("id") && d["id"].IsUint64() ? d["id"].GetUint64() : 0;
}

std::string result_reply(uint64_t id, const std::string& result) {
  return "{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(id) + ",\"result\":" + result + "}";
}

// Echoes the request's id with result "0x1".
void echo_handler(TestHttpServer::Request&, const std::string& body,
                  TestHttpServer::Response& resp) {
  reply_json(resp, result_reply(request_id(body), "\"0x1\""));
}

std::unique_ptr<JsonRpcClient> client_for(
    const std::string& url, std::chrono::milliseconds io_timeout = std::chrono::seconds(5),
    size_t max_bytes = 1 << 20) {
  JsonRpcOptions o;
  o.url = url;
  o.io_timeout = io_timeout;
  o.max_response_bytes = max_bytes;
  auto c = JsonRpcClient::create(o);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message());
  return c.ok() ? std::move(c).value() : nullptr;
}

TEST(JsonRpcClientTest, KeepAliveReusesOneConnectionOver50Calls) {
  TestHttpServer server(echo_handler);
  auto client = client_for(server.url());
  for (int i = 0; i < 50; ++i) {
    auto r = client->call("eth_chainId", "[]");
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(*r, "\"0x1\"");
  }
  EXPECT_EQ(client->connections_opened(), 1u);
  EXPECT_EQ(client->requests_sent(), 50u);
  EXPECT_EQ(server.total_connections(), 1);
}

TEST(JsonRpcClientTest, ReconnectsTransparentlyWhenServerClosedIdleConnection) {
  TestHttpServer server(echo_handler, std::chrono::milliseconds(100));
  auto client = client_for(server.url());
  ASSERT_TRUE(client->call("eth_chainId", "[]").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // server closes it meanwhile
  auto r = client->call("eth_chainId", "[]");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(client->connections_opened(), 2u);
  EXPECT_EQ(server.requests(), 2);
}

// A server that accepts a connection, reads the request and closes without a
// reply: on a fresh connection that is reported, not retried.
TEST(JsonRpcClientTest, FreshConnectionClosedWithoutReplyIsReportedNotRetried) {
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  std::atomic<int> accepted{0};
  std::thread t([&] {
    listener.setReceiveTimeout(Poco::Timespan(3, 0));
    for (int i = 0; i < 2; ++i) {
      try {
        Poco::Net::StreamSocket s = listener.acceptConnection();
        ++accepted;
        char buf[4096];
        s.setReceiveTimeout(Poco::Timespan(0, 200000));
        try {
          s.receiveBytes(buf, sizeof buf);
        } catch (...) {
        }
        s.close();
      } catch (...) {
        return;  // no second connection: good
      }
    }
  });
  auto client = client_for("http://127.0.0.1:" + std::to_string(listener.address().port()));
  auto r = client->call("eth_chainId", "[]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kUnreachable) << r.error().describe();
  EXPECT_TRUE(r.error().transient());
  EXPECT_EQ(client->connections_opened(), 1u);
  t.join();
  EXPECT_EQ(accepted.load(), 1);
}

TEST(JsonRpcClientTest, BodyLargerThanLimitIsTooLargeWithoutReadingItAll) {
  std::atomic<size_t> written{0};
  constexpr size_t kHuge = size_t{256} << 20;
  TestHttpServer server([&](auto&, const std::string&, TestHttpServer::Response& resp) {
    resp.setChunkedTransferEncoding(true);
    resp.setContentType("application/json");
    std::ostream& out = resp.send();
    std::string chunk(64 * 1024, ' ');
    chunk[0] = '[';
    for (size_t sent = 0; sent < kHuge && out.good(); sent += chunk.size()) {
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      out.flush();
      if (out.good()) written += chunk.size();
      chunk[0] = ' ';
    }
  });
  auto client = client_for(server.url(), std::chrono::seconds(20), 1 << 20);
  const auto start = Clock::now();
  auto r = client->call("eth_getLogs", "[{}]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kTooLarge) << r.error().describe();
  EXPECT_FALSE(r.error().transient());
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  // The next call works on a new connection.
  client.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_LT(written.load(), kHuge / 4);
}

TEST(JsonRpcClientTest, DeclaredContentLengthAboveLimitIsTooLargeAtOnce) {
  TestHttpServer server([](auto&, const std::string&, TestHttpServer::Response& resp) {
    resp.setContentLength64(int64_t{1} << 40);
    resp.send() << "[";
  });
  auto client = client_for(server.url(), std::chrono::seconds(5), 1 << 20);
  auto r = client->call("eth_blockNumber", "[]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kTooLarge);
}

TEST(JsonRpcClientTest, ServerThatNeverAnswersTimesOutWithinIoTimeout) {
  TestHttpServer* self = nullptr;
  TestHttpServer hanging([&](auto&, const std::string&, TestHttpServer::Response&) {
    self->hang(std::chrono::seconds(5));
  });
  self = &hanging;
  auto client = client_for(hanging.url(), std::chrono::milliseconds(300));
  const auto start = Clock::now();
  auto r = client->call("eth_blockNumber", "[]");
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kTimeout) << r.error().describe();
  EXPECT_TRUE(r.error().transient());
  EXPECT_GE(elapsed, std::chrono::milliseconds(250));
  EXPECT_LT(elapsed, std::chrono::milliseconds(1500));
}

// A node trickling its body one byte at a time cannot stretch io_timeout.
TEST(JsonRpcClientTest, TricklingBodyTimesOutWithinIoTimeout) {
  TestHttpServer* self = nullptr;
  TestHttpServer server([&](auto&, const std::string&, TestHttpServer::Response& resp) {
    resp.setContentLength(1000);
    std::ostream& out = resp.send();
    for (int i = 0; i < 1000 && !self->stopping() && out.good(); ++i) {
      out << ' ' << std::flush;
      self->hang(std::chrono::milliseconds(50));
    }
  });
  self = &server;
  auto client = client_for(server.url(), std::chrono::milliseconds(300));
  const auto start = Clock::now();
  auto r = client->call("eth_blockNumber", "[]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kTimeout) << r.error().describe();
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1500));
}

// Nor can one trickling its response headers: Poco reads headers past our
// per-read deadline, so the client's watchdog shuts the connection at the
// deadline. The node here would take 20 s to finish one header line.
TEST(JsonRpcClientTest, TricklingHeadersTimeOutWithinIoTimeout) {
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  std::atomic<bool> done{false};
  std::thread t([&] {
    try {
      listener.setReceiveTimeout(Poco::Timespan(5, 0));
      Poco::Net::StreamSocket s = listener.acceptConnection();
      char buf[4096];
      s.receiveBytes(buf, sizeof buf);  // the request
      const std::string status = "HTTP/1.1 200 OK\r\nX-Slow: ";
      s.sendBytes(status.data(), static_cast<int>(status.size()));
      for (int i = 0; i < 400 && !done.load(); ++i) {
        s.sendBytes("a", 1);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    } catch (...) {
      // the client hung up: expected
    }
  });
  auto client = client_for("http://127.0.0.1:" + std::to_string(listener.address().port()),
                           std::chrono::milliseconds(300));
  const auto start = Clock::now();
  auto r = client->call("eth_blockNumber", "[]");
  const auto took = Clock::now() - start;
  done = true;
  t.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kTimeout) << r.error().describe();
  EXPECT_LT(took, std::chrono::seconds(5)) << "the headers held the client past io_timeout";
  EXPECT_EQ(client->connections_opened(), 1u) << "a timeout is not retried";
}

// A node that closes the connection in the middle of a body has not replied:
// the prefix is refused, whatever it looks like.
TEST(JsonRpcClientTest, BodyCutShortOfItsContentLengthIsRefused) {
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  std::thread t([&] {
    try {
      listener.setReceiveTimeout(Poco::Timespan(5, 0));
      Poco::Net::StreamSocket s = listener.acceptConnection();
      char buf[4096];
      s.receiveBytes(buf, sizeof buf);
      const std::string reply =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x1\"}";
      s.sendBytes(reply.data(), static_cast<int>(reply.size()));
      s.close();
    } catch (...) {
    }
  });
  auto client = client_for("http://127.0.0.1:" + std::to_string(listener.address().port()));
  auto r = client->call("eth_blockNumber", "[]");
  t.join();
  ASSERT_FALSE(r.ok()) << "a 39-byte prefix of a 100-byte body was taken for the reply";
  EXPECT_EQ(r.error().kind, Kind::kBadResponse) << r.error().describe();
  EXPECT_NE(r.error().describe().find("shorter than its Content-Length"), std::string::npos)
      << r.error().describe();
}

TEST(JsonRpcClientTest, Http503IsTransientHttpStatus) {
  TestHttpServer server([](auto&, const std::string&, TestHttpServer::Response& resp) {
    reply_json(resp, "<html>busy</html>", Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
  });
  auto client = client_for(server.url());
  auto r = client->call("eth_blockNumber", "[]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kHttpStatus);
  EXPECT_EQ(r.error().http_status, 503);
  EXPECT_TRUE(r.error().transient());
  EXPECT_EQ(r.error().describe(), "eth_blockNumber: http status (HTTP 503): HTTP error status");
  // The body was drained, so the connection is reused.
  (void)client->call("eth_blockNumber", "[]");
  EXPECT_EQ(client->connections_opened(), 1u);
}

TEST(JsonRpcClientTest, Http400WithGarbageIsBadResponse) {
  TestHttpServer server([](auto&, const std::string&, TestHttpServer::Response& resp) {
    reply_json(resp, "\x01\x02garbage{{", Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
  });
  auto client = client_for(server.url());
  auto r = client->call("eth_blockNumber", "[]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kBadResponse);
  EXPECT_EQ(r.error().http_status, 400);
  EXPECT_FALSE(r.error().transient());
}

TEST(JsonRpcClientTest, Http400WithJsonRpcErrorIsRpcError) {
  TestHttpServer server([](auto&, const std::string& body, TestHttpServer::Response& resp) {
    reply_json(resp,
               "{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(request_id(body)) +
                   ",\"error\":{\"code\":-32602,\"message\":\"Invalid params\"}}",
               Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
  });
  auto client = client_for(server.url());
  auto r = client->call("eth_getBalance", "[\"0x\"]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kRpcError);
  EXPECT_EQ(r.error().code, -32602);
  EXPECT_EQ(r.error().describe(), "eth_getBalance: rpc error -32602: Invalid params");
}

TEST(JsonRpcClientTest, NonJsonAndWrongShapesAreBadResponse) {
  std::string reply;
  TestHttpServer server([&](auto&, const std::string& body, TestHttpServer::Response& resp) {
    std::string text = reply;
    auto at = text.find("ID");
    if (at != std::string::npos) text.replace(at, 2, std::to_string(request_id(body)));
    reply_json(resp, text);
  });
  auto client = client_for(server.url());
  for (const char* bad : {
           "not json",
           "",
           "{\"jsonrpc\":\"2.0\",\"id\":ID,\"result\":\"0x1\"} trailing",
           "{\"jsonrpc\":\"1.0\",\"id\":ID,\"result\":\"0x1\"}",
           "{\"id\":ID,\"result\":\"0x1\"}",
           "{\"jsonrpc\":\"2.0\",\"id\":ID}",
           "{\"jsonrpc\":\"2.0\",\"id\":ID,\"result\":1,\"error\":{\"code\":1,\"message\":\"x\"}}",
           "{\"jsonrpc\":\"2.0\",\"id\":999999,\"result\":\"0x1\"}",
           "{\"jsonrpc\":\"2.0\",\"id\":ID,\"error\":{\"code\":\"x\",\"message\":\"x\"}}",
           "{\"jsonrpc\":\"2.0\",\"id\":ID,\"error\":\"boom\"}",
           "[{\"jsonrpc\":\"2.0\",\"id\":ID,\"result\":\"0x1\"}]",
           "\"\xff\xfe\"",
       }) {
    reply = bad;
    auto r = client->call("eth_blockNumber", "[]");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, Kind::kBadResponse) << bad << " -> " << r.error().describe();
  }
}

TEST(JsonRpcClientTest, DeeplyNestedJsonIsRefusedNotACrash) {
  std::string reply;
  TestHttpServer server(
      [&](auto&, const std::string&, TestHttpServer::Response& resp) { reply_json(resp, reply); });
  auto client = client_for(server.url(), std::chrono::seconds(5), 4 << 20);
  for (const std::string& deep :
       {std::string(100000, '['), std::string(100000, '[') + std::string(100000, ']'),
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":" + std::string(100000, '{')}) {
    reply = deep;
    auto r = client->call("eth_blockNumber", "[]");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, Kind::kBadResponse) << r.error().describe();
  }
}

TEST(JsonRpcClientTest, ErrorDataIsKeptOnlyWhenHex) {
  std::string data;
  TestHttpServer server([&](auto&, const std::string& body, TestHttpServer::Response& resp) {
    reply_json(resp, "{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(request_id(body)) +
                         ",\"error\":{\"code\":3,\"message\":\"execution reverted\",\"data\":" +
                         data + "}}");
  });
  auto client = client_for(server.url());
  data = "\"0x08c379a0\"";
  auto r = client->call("eth_call", "[]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 3);
  EXPECT_EQ(r.error().data, (std::vector<uint8_t>{0x08, 0xc3, 0x79, 0xa0}));
  for (const char* bad : {"\"not hex\"", "\"0xabc\"", "\"0xzz\"", "{\"data\":\"0x01\"}", "12",
                          "null", "\"0x0x01\""}) {
    data = bad;
    auto r2 = client->call("eth_call", "[]");
    ASSERT_FALSE(r2.ok());
    EXPECT_EQ(r2.error().kind, Kind::kRpcError);
    EXPECT_TRUE(r2.error().data.empty()) << bad;
  }
}

TEST(JsonRpcClientTest, NodeMessagesAreEscapedAndBounded) {
  TestHttpServer server([&](auto&, const std::string& body, TestHttpServer::Response& resp) {
    reply_json(resp, "{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(request_id(body)) +
                         ",\"error\":{\"code\":-32000,\"message\":\"line1\\nline2\\u001b[31m" +
                         std::string(2000, 'x') + "\"}}");
  });
  auto client = client_for(server.url());
  auto r = client->call("eth_sendRawTransaction", "[\"0x00\"]");
  ASSERT_FALSE(r.ok());
  const std::string& m = r.error().message;
  EXPECT_LE(m.size(), 300u);
  EXPECT_EQ(m.find('\n'), std::string::npos);
  EXPECT_EQ(m.find('\x1b'), std::string::npos);
  // The node's newline and escape sequence come back escaped, not raw.
  EXPECT_EQ(m.rfind("line1\\x0aline2\\x1b[31mxxx", 0), 0u) << m;
}

TEST(JsonRpcClientTest, CredentialsHeadersAndQueryReachTheServerButNotTheLogs) {
  std::string auth, bearer, uri;
  TestHttpServer server(
      [&](TestHttpServer::Request& req, const std::string& body, TestHttpServer::Response& resp) {
        auth = req.get("Authorization", "");
        bearer = req.get("X-Api-Key", "");
        uri = req.getURI();
        EXPECT_EQ(req.getContentType(), "application/json");
        reply_json(resp, "{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(request_id(body)) +
                             ",\"error\":{\"code\":-32601,\"message\":\"nope\"}}");
      });
  JsonRpcOptions o;
  o.url = "http://alice:s3cret@127.0.0.1:" + server.url().substr(17) + "rpc?key=t0ken";
  o.headers = {{"X-Api-Key", "k3y"}};
  auto client = JsonRpcClient::create(o);
  ASSERT_TRUE(client.ok()) << client.error().message();
  auto r = (*client)->call("eth_x", "[\"0xdeadbeef\"]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(auth, "Basic YWxpY2U6czNjcmV0");  // alice:s3cret
  EXPECT_EQ(bearer, "k3y");
  EXPECT_EQ(uri, "/rpc?key=t0ken");
  const std::string line = r.error().describe();
  EXPECT_EQ(line, "eth_x: rpc error -32601: nope");
  for (const char* secret : {"s3cret", "alice", "t0ken", "deadbeef", "127.0.0.1"})
    EXPECT_EQ(line.find(secret), std::string::npos) << secret;
}

TEST(JsonRpcClientTest, UnreachableNodeIsTransient) {
  int port;
  {
    Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
    port = s.address().port();
  }
  auto client = client_for("http://127.0.0.1:" + std::to_string(port));
  auto r = client->call("eth_chainId", "[]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kUnreachable) << r.error().describe();
  EXPECT_TRUE(r.error().transient());
  auto b = client->batch(std::vector<RpcRequest>{{"a", "[]"}, {"b", "[]"}});
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[1].error().kind, Kind::kUnreachable);
  EXPECT_EQ(b[1].error().method, "b");
}

TEST(JsonRpcClientTest, CreateValidatesUrlAndFiles) {
  auto with = [](JsonRpcOptions o) { return JsonRpcClient::create(std::move(o)).ok(); };
  EXPECT_FALSE(with({.url = "ftp://127.0.0.1:1"}));
  EXPECT_FALSE(with({.url = "127.0.0.1:8545"}));
  EXPECT_FALSE(with({.url = "http://"}));
  EXPECT_FALSE(with({.url = "https://node.example:8545", .ca_file = "/nonexistent/ca.pem"}));
  EXPECT_FALSE(with({.url = "https://node.example:8545", .client_cert_file = "/etc/hostname"}));
  EXPECT_FALSE(with({.url = "http://node.example:8545", .ca_file = "/etc/hostname"}));
  EXPECT_FALSE(with({.url = "http://node.example:8545", .headers = {{"X-A", "b\r\nX-Evil: 1"}}}));
  EXPECT_TRUE(with({.url = "http://node.example:8545/path"}));
  EXPECT_TRUE(with({.url = "https://node.example"}));
}

// Builds a batch reply from the request's ids with `edit` applied to the list
// of reply objects.
std::string batch_reply(const std::string& body,
                        const std::function<void(std::vector<std::string>&)>& edit) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  std::vector<std::string> replies;
  for (const auto& req : d.GetArray()) {
    const uint64_t id = req["id"].GetUint64();
    replies.push_back(result_reply(id, "\"r" + std::to_string(id) + "\""));
  }
  edit(replies);
  std::string out = "[";
  for (size_t i = 0; i < replies.size(); ++i) out += (i ? "," : "") + replies[i];
  return out + "]";
}

TEST(JsonRpcClientTest, BatchRepliesAreMatchedById) {
  std::function<void(std::vector<std::string>&)> edit;
  std::string last_body;
  TestHttpServer server([&](auto&, const std::string& body, TestHttpServer::Response& resp) {
    last_body = body;
    reply_json(resp, batch_reply(body, edit));
  });
  auto client = client_for(server.url());
  std::vector<RpcRequest> reqs = {{"m0", "[]"}, {"m1", "[1]"}, {"m2", ""}, {"m3", "[]"}};

  edit = [](std::vector<std::string>& r) { std::reverse(r.begin(), r.end()); };
  auto out = client->batch(reqs);
  ASSERT_EQ(out.size(), 4u);
  rapidjson::Document sent;
  sent.Parse(last_body.c_str());
  ASSERT_TRUE(sent.IsArray());
  for (size_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(out[i].ok()) << out[i].error().describe();
    EXPECT_EQ(*out[i], "\"r" + std::to_string(sent[i]["id"].GetUint64()) + "\"");
    EXPECT_EQ(std::string(sent[i]["method"].GetString()), reqs[i].method);
  }

  edit = [](std::vector<std::string>& r) { r.erase(r.begin() + 2); };
  out = client->batch(reqs);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_TRUE(out[0].ok() && out[1].ok() && out[3].ok());
  ASSERT_FALSE(out[2].ok());
  EXPECT_EQ(out[2].error().kind, Kind::kBadResponse);
  EXPECT_EQ(out[2].error().method, "m2");

  edit = [](std::vector<std::string>& r) { r[3] = r[1]; };  // id of #1 twice, #3 missing
  out = client->batch(reqs);
  EXPECT_TRUE(out[0].ok() && out[2].ok());
  EXPECT_FALSE(out[1].ok());
  EXPECT_FALSE(out[3].ok());

  edit = [](std::vector<std::string>& r) {
    r[0] = "{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(request_id(r[0])) +
           ",\"error\":{\"code\":-32000,\"message\":\"nonce too low\"}}";
  };
  out = client->batch(reqs);
  ASSERT_FALSE(out[0].ok());
  EXPECT_EQ(out[0].error().kind, Kind::kRpcError);
  EXPECT_TRUE(out[1].ok());

  EXPECT_TRUE(client->batch({}).empty());
  EXPECT_EQ(client->connections_opened(), 1u);
}

TEST(JsonRpcClientTest, BatchReplyThatIsNotAnArrayFailsEveryEntry) {
  std::string reply;
  TestHttpServer server(
      [&](auto&, const std::string&, TestHttpServer::Response& resp) { reply_json(resp, reply); });
  auto client = client_for(server.url());
  std::vector<RpcRequest> reqs = {{"a", "[]"}, {"b", "[]"}};
  reply = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x1\"}";
  for (auto& r : client->batch(reqs)) EXPECT_EQ(r.error().kind, Kind::kBadResponse);
  reply =
      "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32005,\"message\":\"batch too "
      "large\"}}";
  for (auto& r : client->batch(reqs)) {
    EXPECT_EQ(r.error().kind, Kind::kRpcError);
    EXPECT_EQ(r.error().code, -32005);
  }
  reply = "[1, 2, {\"id\": \"x\"}]";
  for (auto& r : client->batch(reqs)) EXPECT_EQ(r.error().kind, Kind::kBadResponse);
}

TEST(JsonRpcClientTest, ConcurrentCallersShareOneConnection) {
  TestHttpServer server(echo_handler);
  auto client = client_for(server.url());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) ok += client->call("eth_chainId", "[]").ok() ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 100);
  EXPECT_EQ(client->connections_opened(), 1u);
}

TEST(RpcFailureTest, TransientKinds) {
  auto f = [](Kind k, int status = 0) {
    RpcFailure x;
    x.kind = k;
    x.http_status = status;
    return x.transient();
  };
  EXPECT_TRUE(f(Kind::kUnreachable));
  EXPECT_TRUE(f(Kind::kTimeout));
  for (int s : {429, 502, 503, 504}) EXPECT_TRUE(f(Kind::kHttpStatus, s)) << s;
  for (int s : {401, 403, 404, 500}) EXPECT_FALSE(f(Kind::kHttpStatus, s)) << s;
  EXPECT_FALSE(f(Kind::kBadResponse));
  EXPECT_FALSE(f(Kind::kTooLarge));
  EXPECT_FALSE(f(Kind::kRpcError));
}

}  // namespace
}  // namespace gw::ledger
