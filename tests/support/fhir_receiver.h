// A local FHIR server over HTTPS for forwarding tests: keeps every request
// ("METHOD TARGET\nBODY") and answers 200 with a transaction-response. Bound
// to 127.0.0.1 (port 0: any free one); destroying it stops it, so a test can
// take it down and start it again on the same port. Header-only, test code.
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/StreamCopier.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gw::testing {

class FhirReceiver {
 public:
  // What every instance of one test shares, so requests survive a restart.
  struct Log {
    std::mutex mu;
    std::vector<std::string> requests;
    std::vector<std::string> snapshot() {
      std::lock_guard lock(mu);
      return requests;
    }
  };

  FhirReceiver(const std::string& cert_file, const std::string& key_file, uint16_t port, Log* log)
      : context_(init_context(cert_file, key_file)),
        socket_(Poco::Net::SocketAddress("127.0.0.1", port), 64, context_),
        server_(new Factory(log), socket_, new Poco::Net::HTTPServerParams) {
    server_.start();
  }
  ~FhirReceiver() {
    server_.stop();
    socket_.close();
  }
  FhirReceiver(const FhirReceiver&) = delete;
  FhirReceiver& operator=(const FhirReceiver&) = delete;
  uint16_t port() const { return socket_.address().port(); }

 private:
  static Poco::Net::Context::Ptr init_context(const std::string& cert, const std::string& key) {
    Poco::Net::initializeSSL();
    return new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, key, cert, "",
                                  Poco::Net::Context::VERIFY_NONE);
  }
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(Log* log) : log_(log) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& resp) override {
      std::string body;
      Poco::StreamCopier::copyToString(req.stream(), body);
      {
        std::lock_guard lock(log_->mu);
        log_->requests.push_back(req.getMethod() + " " + req.getURI() + "\n" + body);
      }
      const std::string reply = R"({"resourceType":"Bundle","type":"transaction-response"})";
      resp.setContentType("application/fhir+json");
      resp.setContentLength(static_cast<std::streamsize>(reply.size()));
      resp.send() << reply;
    }

   private:
    Log* log_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(Log* log) : log_(log) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(log_);
    }

   private:
    Log* log_;
  };

  Poco::Net::Context::Ptr context_;
  Poco::Net::SecureServerSocket socket_;
  Poco::Net::HTTPServer server_;
};

}  // namespace gw::testing
