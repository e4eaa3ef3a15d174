// Test helper (header-only, for *_test.cc of this folder): a Poco HTTPServer on
// 127.0.0.1 with a port of its own choosing, whose behaviour each test gives
// as a handler. Stops itself (and wakes hanging handlers) on destruction.
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

namespace gw::ledger::testing {

class TestHttpServer {
 public:
  using Request = Poco::Net::HTTPServerRequest;
  using Response = Poco::Net::HTTPServerResponse;
  // Called on a server thread for each request, with its body already read.
  using Handler = std::function<void(Request&, const std::string& body, Response&)>;

  explicit TestHttpServer(Handler handler,
                          std::chrono::milliseconds keep_alive = std::chrono::seconds(30))
      : handler_(std::move(handler)) {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(keep_alive.count() * 1000));
    params->setMaxKeepAliveRequests(100000);
    params->setMaxThreads(8);
    params->setTimeout(Poco::Timespan(10, 0));
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), socket, params);
    server_->start();
  }

  ~TestHttpServer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    server_->stopAll(true);
    // Handlers still running would touch this object after it is gone.
    for (int i = 0; i < 1000 && active_.load() > 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int total_connections() const { return server_->totalConnections(); }
  int requests() const { return requests_.load(); }

  // For handlers that never answer: waits until the server stops or `d` passes.
  void hang(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, d, [&] { return stopping_; });
  }
  bool stopping() {
    std::lock_guard lock(mu_);
    return stopping_;
  }

 private:
  class Handler_ : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler_(TestHttpServer* s) : s_(s) {}
    void handleRequest(Request& req, Response& resp) override {
      ++s_->active_;
      ++s_->requests_;
      try {
        std::string body;
        Poco::StreamCopier::copyToString(req.stream(), body);
        s_->handler_(req, body, resp);
      } catch (...) {
        // The client went away (e.g. it stopped reading a huge body).
      }
      --s_->active_;
    }

   private:
    TestHttpServer* s_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(TestHttpServer* s) : s_(s) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Request&) override {
      return new Handler_(s_);
    }

   private:
    TestHttpServer* s_;
  };

  Handler handler_;
  int port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::mutex mu_;  // guards stopping_
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<int> active_{0};
  std::atomic<int> requests_{0};
};

// Sends `text` as a 200 application/json reply.
inline void reply_json(
    Poco::Net::HTTPServerResponse& resp, const std::string& text,
    Poco::Net::HTTPResponse::HTTPStatus status = Poco::Net::HTTPResponse::HTTP_OK) {
  resp.setStatus(status);
  resp.setContentType("application/json");
  resp.setContentLength(static_cast<std::streamsize>(text.size()));
  resp.send() << text;
}

}  // namespace gw::ledger::testing
