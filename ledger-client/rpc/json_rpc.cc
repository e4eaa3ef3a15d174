#include "ledger-client/rpc/json_rpc.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SocketImpl.h>
#include <Poco/URI.h>

#include <atomic>
#include <filesystem>
#include <istream>
#include <mutex>
#include <optional>
#include <ostream>

#include "gateway/base/tls_client.h"
#include "ledger-client/rpc/deadline_watchdog.h"
#include "ledger-client/rpc/json_util.h"

namespace gw::ledger {
namespace {

using Clock = std::chrono::steady_clock;
using Kind = RpcFailure::Kind;
using rpc_internal::Json;
using rpc_internal::JsonDoc;

// Poco's HTTP(S) session with three changes: every socket read and write is
// held to the exchange's deadline (a per-call socket timeout alone would let
// a node that trickles bytes hold us forever), writes never reconnect behind
// our back (Poco retries a failed write on a reused connection silently,
// which would hide a reconnect from connections_opened() and the retry rule),
// and Poco's own keep-alive timer does not reconnect either: we decide.
template <class Base>
class Session : public Base {
 public:
  using Base::Base;

  void set_deadline(Clock::time_point deadline) { deadline_ = deadline; }

  // Waits for the first byte of the response and leaves it buffered for
  // receiveResponse(). EOF (or an exception) here means no response byte
  // arrived, which is what makes a retry on a new connection safe.
  bool response_started() {
    arm_receive();
    return this->peek() != std::char_traits<char>::eof();
  }

  // Header reads bypass read(); this arms the socket for them (each one still
  // waits up to the time left, so Impl's watchdog bounds their total).
  void arm_receive() { this->socket().setReceiveTimeout(remaining()); }

 protected:
  int read(char* buffer, std::streamsize length) override {
    arm_receive();
    return Base::read(buffer, length);
  }
  int write(const char* buffer, std::streamsize length) override {
    this->socket().setSendTimeout(remaining());
    return Poco::Net::HTTPSession::write(buffer, length);
  }
  bool mustReconnect() const override { return false; }

 private:
  Poco::Timespan remaining() const {
    auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline_ - Clock::now());
    if (left.count() <= 0) throw Poco::TimeoutException("io_timeout elapsed");
    return Poco::Timespan(left.count());
  }
  Clock::time_point deadline_ = Clock::now();
};

using PlainSession = Session<Poco::Net::HTTPClientSession>;
using TlsSession = Session<Poco::Net::HTTPSClientSession>;

RpcFailure failure(Kind kind, std::string_view message, int http_status = 0) {
  RpcFailure f = RpcFailure::make(kind, message);
  f.http_status = http_status;
  return f;
}

// Statuses that say nothing about the request itself (rate limits, proxies,
// gateways, authentication): reported as kHttpStatus whatever the body says.
bool is_plain_status(int status) { return status != 400 && status != 500; }

// error.data: revert data when it is a 0x-hex string; anything else
// (objects, text, odd-length hex) is dropped rather than guessed at.
std::vector<uint8_t> error_data(const Json& err) {
  const Json* d = rpc_internal::member(err, "data");
  if (d == nullptr) return {};
  auto bytes = rpc_internal::read_data(*d);
  return bytes ? std::move(*bytes) : std::vector<uint8_t>{};
}

// One reply object -> raw result text or failure. `expected_id` has already
// been matched by the caller for batches.
RpcResult<std::string> interpret(const Json& reply) {
  if (!reply.IsObject()) return failure(Kind::kBadResponse, "reply is not a JSON object");
  const Json* version = rpc_internal::member(reply, "jsonrpc");
  if (version == nullptr || !version->IsString() || std::string_view(version->GetString()) != "2.0")
    return failure(Kind::kBadResponse, "reply lacks \"jsonrpc\": \"2.0\"");
  const Json* result = rpc_internal::member(reply, "result");
  const Json* err = rpc_internal::member(reply, "error");
  if ((result == nullptr) == (err == nullptr))
    return failure(Kind::kBadResponse, "reply must have exactly one of result and error");
  if (result != nullptr) return rpc_internal::to_json_text(*result);
  if (!err->IsObject()) return failure(Kind::kBadResponse, "error is not an object");
  const Json* code = rpc_internal::member(*err, "code");
  if (code == nullptr || !code->IsInt64())
    return failure(Kind::kBadResponse, "error.code is not an integer");
  const Json* message = rpc_internal::member(*err, "message");
  RpcFailure f;
  f.kind = Kind::kRpcError;
  f.code = code->GetInt64();
  if (message != nullptr && message->IsString())
    f.set_message(std::string_view(message->GetString(), message->GetStringLength()));
  f.data = error_data(*err);
  return f;
}

std::optional<uint64_t> reply_id(const Json& reply) {
  const Json* id = rpc_internal::member(reply, "id");
  if (id == nullptr || !id->IsUint64()) return std::nullopt;
  return id->GetUint64();
}

struct HttpReply {
  int status = 0;
  std::string body;
};

}  // namespace

struct JsonRpcClient::Impl {
  JsonRpcOptions options;
  bool tls = false;
  std::string host;
  uint16_t port = 0;
  std::string path;
  std::optional<Poco::Net::HTTPBasicCredentials> credentials;
  Poco::Net::Context::Ptr context;

  std::mutex mu;  // guards session, next_id and every exchange on the connection
  std::unique_ptr<PlainSession> plain;
  std::unique_ptr<TlsSession> secure;
  uint64_t next_id = 1;
  std::atomic<uint64_t> connections{0};
  std::atomic<uint64_t> requests{0};
  rpc_internal::DeadlineWatchdog watchdog;  // bounds the header reads (see there)

  Poco::Net::HTTPClientSession& session() {
    if (tls) return *secure;
    return *plain;
  }
  void set_deadline(Clock::time_point deadline) {
    if (tls) {
      secure->set_deadline(deadline);
    } else {
      plain->set_deadline(deadline);
    }
  }
  bool response_started() { return tls ? secure->response_started() : plain->response_started(); }
  void arm_receive() { tls ? secure->arm_receive() : plain->arm_receive(); }

  // One HTTP exchange: POST `body`; the status and body of a 200, 400 or 500
  // reply (statuses nodes send JSON-RPC replies with), else a failure.
  RpcResult<HttpReply> post(const std::string& body);
  RpcResult<HttpReply> post_once(const std::string& body, Clock::time_point deadline, bool* retry);
  RpcResult<HttpReply> exchange(const std::string& body, Clock::time_point deadline, bool* retry);
};

Result<std::unique_ptr<JsonRpcClient>> JsonRpcClient::create(JsonRpcOptions options) {
  auto impl = std::make_unique<Impl>();
  Poco::URI uri;
  try {
    uri = Poco::URI(options.url);
  } catch (const Poco::Exception&) {
    return invalid_argument_error("ledger RPC url is not a valid URI");
  }
  if (uri.getScheme() != "http" && uri.getScheme() != "https")
    return invalid_argument_error("ledger RPC url must start with http:// or https://");
  if (uri.getHost().empty()) return invalid_argument_error("ledger RPC url has no host");
  if (!uri.getFragment().empty())
    return invalid_argument_error("ledger RPC url must not have a #fragment");
  if (options.connect_timeout.count() <= 0 || options.io_timeout.count() <= 0)
    return invalid_argument_error("ledger RPC timeouts must be positive");
  if (options.max_response_bytes < 1024)
    return invalid_argument_error("ledger RPC max_response_bytes must be at least 1024");
  for (const auto& [name, value] : options.headers) {
    if (name.empty() || name.find_first_of(":\r\n") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos)
      return invalid_argument_error("ledger RPC header names and values must be single-line");
  }
  impl->tls = uri.getScheme() == "https";
  impl->host = uri.getHost();
  impl->port = uri.getPort();
  impl->path = uri.getPathAndQuery();
  if (impl->path.empty()) impl->path = "/";
  if (!uri.getUserInfo().empty()) {
    auto [user, password] = split_user_info(uri.getUserInfo());
    impl->credentials.emplace(user, password);
  }
  const bool has_cert = !options.client_cert_file.empty();
  if (has_cert != !options.client_key_file.empty())
    return invalid_argument_error("ledger RPC client certificate and key must be given together");
  if (!impl->tls && (has_cert || !options.ca_file.empty()))
    return invalid_argument_error("ledger RPC TLS files given for an http:// url");
  for (const std::string* f :
       {&options.ca_file, &options.client_cert_file, &options.client_key_file}) {
    std::error_code ec;
    if (!f->empty() && !std::filesystem::is_regular_file(*f, ec))
      return not_found_error("ledger RPC TLS file not found: " + *f);
  }
  if (impl->tls) {
    auto context = make_tls_client_context(options.ca_file, options.client_cert_file,
                                           options.client_key_file, "ledger RPC");
    if (!context.ok()) return context.error();
    impl->context = std::move(context).value();
    impl->secure = std::make_unique<TlsSession>(impl->host, impl->port, impl->context);
  } else {
    impl->plain = std::make_unique<PlainSession>(impl->host, impl->port);
  }
  Poco::Net::HTTPClientSession& s = impl->session();
  s.setKeepAlive(true);
  // Our own policy decides when to reconnect (see Session); Poco's timer is off.
  s.setKeepAliveTimeout(Poco::Timespan(365 * Poco::Timespan::DAYS));
  impl->options = std::move(options);
  return std::unique_ptr<JsonRpcClient>(new JsonRpcClient(std::move(impl)));
}

JsonRpcClient::JsonRpcClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonRpcClient::~JsonRpcClient() = default;

uint64_t JsonRpcClient::connections_opened() const { return impl_->connections.load(); }
uint64_t JsonRpcClient::requests_sent() const { return impl_->requests.load(); }

RpcResult<HttpReply> JsonRpcClient::Impl::post(const std::string& body) {
  const Clock::time_point deadline = Clock::now() + options.io_timeout;
  bool retry = false;
  auto r = post_once(body, deadline, &retry);
  if (!r.ok() && retry && Clock::now() < deadline) r = post_once(body, deadline, &retry);
  return r;
}

RpcResult<HttpReply> JsonRpcClient::Impl::post_once(const std::string& body,
                                                    Clock::time_point deadline, bool* retry) {
  auto r = exchange(body, deadline, retry);
  if (watchdog.disarm()) {
    // The deadline passed during the exchange and the connection was shut
    // down under it. Whatever the reads made of that (an error, or a body
    // cut short that looked complete), the answer is the deadline.
    session().reset();
    *retry = false;
    return failure(Kind::kTimeout, "no complete response within io_timeout");
  }
  return r;
}

RpcResult<HttpReply> JsonRpcClient::Impl::exchange(const std::string& body,
                                                   Clock::time_point deadline, bool* retry) {
  *retry = false;
  Poco::Net::HTTPClientSession& s = session();
  const bool reused = s.connected();
  bool started = false;  // a byte of the response has arrived
  try {
    set_deadline(deadline);
    if (!reused) {
      ++connections;
      auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
      auto connect = std::min<std::chrono::microseconds>(options.connect_timeout, left);
      s.setTimeout(Poco::Timespan(std::max<int64_t>(connect.count(), 1000)), s.getTimeout(),
                   s.getTimeout());
    }
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    request.setKeepAlive(true);
    request.set("Accept", "application/json");
    for (const auto& [name, value] : options.headers) request.set(name, value);
    if (credentials) credentials->authenticate(request);
    std::ostream& out = s.sendRequest(request);
    ++requests;
    out.exceptions(std::ios::badbit);
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    out.flush();
    watchdog.arm(static_cast<int>(s.socket().impl()->sockfd()), deadline);
    if (!response_started()) {
      s.reset();
      *retry = reused;
      return failure(Kind::kUnreachable, "connection closed before a response");
    }
    started = true;
    arm_receive();
    Poco::Net::HTTPResponse response;
    std::istream& in = s.receiveResponse(response);
    in.exceptions(std::ios::badbit);
    const int status = response.getStatus();
    const size_t max = options.max_response_bytes;
    if (response.hasContentLength() && response.getContentLength64() > static_cast<int64_t>(max)) {
      s.reset();
      if (status != 200 && is_plain_status(status))
        return failure(Kind::kHttpStatus, "HTTP error status", status);
      return failure(Kind::kTooLarge, "declared Content-Length exceeds max_response_bytes");
    }
    std::string reply;
    char buf[16384];
    while (true) {
      in.read(buf, sizeof buf);
      const size_t n = static_cast<size_t>(in.gcount());
      if (reply.size() + n > max) {
        // Stop reading here: the rest may be endless. The connection is in the
        // middle of a body, so it cannot be reused.
        s.reset();
        if (status != 200 && is_plain_status(status))
          return failure(Kind::kHttpStatus, "HTTP error status", status);
        return failure(Kind::kTooLarge, "response body exceeds max_response_bytes");
      }
      reply.append(buf, n);
      if (!in) break;
    }
    if (response.hasContentLength() &&
        static_cast<int64_t>(reply.size()) != response.getContentLength64()) {
      s.reset();  // the node closed mid-body: a prefix is not the reply
      return failure(Kind::kBadResponse, "response body shorter than its Content-Length");
    }
    if (!response.getKeepAlive()) s.reset();
    if (status != 200 && is_plain_status(status))
      return failure(Kind::kHttpStatus, "HTTP error status", status);
    return HttpReply{status, std::move(reply)};
  } catch (const Poco::TimeoutException&) {
    s.reset();
    return failure(Kind::kTimeout, reused || started ? "no complete response within io_timeout"
                                                     : "connect or request timed out");
  } catch (const Poco::Net::ConnectionRefusedException&) {
    s.reset();
    return failure(Kind::kUnreachable, "connection refused");
  } catch (const Poco::Net::HostNotFoundException&) {
    s.reset();
    return failure(Kind::kUnreachable, "host name not found");
  } catch (const Poco::Net::NoAddressFoundException&) {
    s.reset();
    return failure(Kind::kUnreachable, "host name has no address");
  } catch (const Poco::Net::CertificateValidationException&) {
    s.reset();
    return failure(Kind::kUnreachable, "TLS: the node's certificate failed verification");
  } catch (const Poco::Net::SSLException& e) {
    s.reset();
    *retry = reused && !started;
    return failure(Kind::kUnreachable, std::string("TLS: ") + e.name());
  } catch (const Poco::Net::MessageException&) {
    s.reset();
    return failure(Kind::kBadResponse, "malformed HTTP response");
  } catch (const Poco::Exception& e) {
    s.reset();
    *retry = reused && !started;
    return failure(Kind::kUnreachable, e.name());
  } catch (const std::exception&) {
    s.reset();
    return failure(Kind::kUnreachable, "I/O failure");
  }
}

namespace {

// Turns a post() outcome into a parsed reply document, or the failure.
std::optional<RpcFailure> parse_reply(RpcResult<HttpReply>& posted, JsonDoc& doc) {
  if (!posted.ok()) return std::move(posted).error();
  if (auto err = rpc_internal::parse_json(posted->body, doc)) {
    // Not echoing the body: it is the node's and may be anything.
    return failure(Kind::kBadResponse, *err, posted->status == 200 ? 0 : posted->status);
  }
  return std::nullopt;
}

}  // namespace

RpcResult<std::string> JsonRpcClient::call(std::string_view method, std::string_view params_json) {
  std::lock_guard lock(impl_->mu);
  const uint64_t id = impl_->next_id++;
  std::string body = "{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(id) +
                     ",\"method\":" + rpc_internal::json_quote(method) +
                     ",\"params\":" + std::string(params_json.empty() ? "[]" : params_json) + "}";
  auto posted = impl_->post(body);
  JsonDoc doc;
  RpcResult<std::string> out = [&]() -> RpcResult<std::string> {
    if (auto f = parse_reply(posted, doc)) return std::move(*f);
    if (doc.IsArray()) return failure(Kind::kBadResponse, "reply to a single call is an array");
    auto got = reply_id(doc);
    // A node may answer an unparseable request with id null and an error.
    if (got != id && !(rpc_internal::member(doc, "error") && !got))
      return failure(Kind::kBadResponse, "reply id does not match the request");
    return interpret(doc);
  }();
  if (!out.ok()) {
    RpcFailure f = std::move(out).error();
    f.method = std::string(method);
    return f;
  }
  return out;
}

std::vector<RpcResult<std::string>> JsonRpcClient::batch(std::span<const RpcRequest> requests) {
  std::vector<RpcResult<std::string>> out;
  if (requests.empty()) return out;
  std::lock_guard lock(impl_->mu);
  const uint64_t first_id = impl_->next_id;
  impl_->next_id += requests.size();
  std::string body = "[";
  for (size_t i = 0; i < requests.size(); ++i) {
    if (i > 0) body += ',';
    const std::string& params = requests[i].params_json;
    body += "{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(first_id + i) +
            ",\"method\":" + rpc_internal::json_quote(requests[i].method) +
            ",\"params\":" + (params.empty() ? std::string("[]") : params) + "}";
  }
  body += ']';
  auto posted = impl_->post(body);
  JsonDoc doc;
  auto fail_all = [&](const RpcFailure& f) {
    out.clear();
    for (const RpcRequest& r : requests) {
      RpcFailure each = f;
      each.method = r.method;
      out.emplace_back(std::move(each));
    }
    return out;
  };
  if (auto f = parse_reply(posted, doc)) return fail_all(*f);
  if (!doc.IsArray()) {
    // A whole-batch refusal is a single error object.
    if (doc.IsObject() && rpc_internal::member(doc, "error") != nullptr) {
      auto r = interpret(doc);
      if (!r.ok()) return fail_all(r.error());
    }
    return fail_all(failure(Kind::kBadResponse, "batch reply is not an array"));
  }
  std::vector<const Json*> by_index(requests.size(), nullptr);
  std::vector<bool> duplicate(requests.size(), false);
  for (const Json& reply : doc.GetArray()) {
    auto id = reply_id(reply);
    if (!id || *id < first_id || *id - first_id >= requests.size()) continue;
    const size_t i = *id - first_id;
    if (by_index[i] != nullptr) duplicate[i] = true;
    by_index[i] = &reply;
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    RpcResult<std::string> r = [&]() -> RpcResult<std::string> {
      if (duplicate[i]) return failure(Kind::kBadResponse, "two replies with this request's id");
      if (by_index[i] == nullptr) return failure(Kind::kBadResponse, "no reply for this request");
      return interpret(*by_index[i]);
    }();
    if (!r.ok()) {
      RpcFailure f = std::move(r).error();
      f.method = requests[i].method;
      out.emplace_back(std::move(f));
    } else {
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace gw::ledger
