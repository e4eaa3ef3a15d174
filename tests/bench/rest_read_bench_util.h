// Helpers of rest_read_bench (bench code only): failing loudly, a kept-alive
// HTTPS client connection, the synthetic patients, a run's figures and how
// they are printed.
#pragma once

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "gateway/base/status.h"

namespace gw::rest::bench {

[[noreturn]] inline void die(const std::string& what) {
  std::fprintf(stderr, "rest_read_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T must(Result<T> r, const char* what) {
  if (!r.ok()) die(std::string(what) + ": " + r.status().message());
  return std::move(r).value();
}

inline Poco::Net::Context::Ptr client_context(const std::string& ca_file, const std::string& cert,
                                              const std::string& key) {
  Poco::Net::Context::Params p;
  p.caLocation = ca_file;
  p.certificateFile = cert;
  p.privateKeyFile = key;
  p.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  p.loadDefaultCAs = false;
  return new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, p);
}

struct Reply {
  int status = 0;
  std::string body;
};

// One client's kept-alive connection (Poco reconnects by itself when the
// server closes it, e.g. after its 1,000 requests per connection). Errors
// are replies with status 0.
class Connection {
 public:
  Connection(Poco::Net::Context::Ptr ctx, uint16_t port, std::string bearer)
      : session_("localhost", port, ctx), bearer_(std::move(bearer)) {
    session_.setKeepAlive(true);
    session_.setTimeout(Poco::Timespan(30, 0));
  }

  Reply call(const std::string& method, const std::string& target, const std::string& body) {
    Reply r;
    try {
      Poco::Net::HTTPRequest req(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
      req.setKeepAlive(true);
      if (!bearer_.empty()) req.set("Authorization", "Bearer " + bearer_);
      if (!body.empty()) {
        req.setContentType("application/fhir+json");
        req.setContentLength(static_cast<std::streamsize>(body.size()));
      }
      session_.sendRequest(req) << body;
      Poco::Net::HTTPResponse resp;
      std::istream& in = session_.receiveResponse(resp);
      r.status = resp.getStatus();
      Poco::StreamCopier::copyToString(in, r.body);
    } catch (const Poco::Exception& e) {
      r.body = e.displayText();
      session_.reset();
    }
    return r;
  }

 private:
  Poco::Net::HTTPSClientSession session_;
  std::string bearer_;
};

inline std::string observation_id(int patient, int k) {
  return "o-" + std::to_string(patient) + "-" + std::to_string(k);
}

// A transaction: Patient p-<p> (with an identifier, so it has a consortium
// token) and its `observations` heart rates, all with fixed ids.
inline std::string patient_bundle(int p, int observations) {
  const std::string pid = "p-" + std::to_string(p);
  std::string b = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
  b +=
      R"({"resource":{"resourceType":"Patient","id":")" + pid +
      R"(","identifier":[{"system":"urn:oid:1.2.3.4.5","value":"MRN-)" + std::to_string(p) +
      R"("}],"name":[{"family":"Bench","given":["P)" + std::to_string(p) +
      R"("]}],"gender":"female","birthDate":"1970-01-01"},"request":{"method":"PUT","url":"Patient/)" +
      pid + R"("}})";
  for (int k = 0; k < observations; ++k) {
    const std::string oid = observation_id(p, k);
    b +=
        R"(,{"resource":{"resourceType":"Observation","id":")" + oid +
        R"(","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],)"
        R"("code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},)"
        R"("subject":{"reference":"Patient/)" +
        pid + R"("},"effectiveDateTime":"2026-12-01T10:)" + std::to_string(10 + k % 50) +
        R"(:00Z","valueQuantity":{"value":)" + std::to_string(60 + (p + k) % 40) +
        R"(,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}},)"
        R"("request":{"method":"PUT","url":"Observation/)" +
        oid + R"("}})";
  }
  return b + "]}";
}

// The q-quantile of `v` (sorted in place); 0 when empty.
inline double percentile(std::vector<uint32_t>* v, double q) {
  if (v->empty()) return 0;
  std::sort(v->begin(), v->end());
  const size_t i = std::min(v->size() - 1, static_cast<size_t>(q * static_cast<double>(v->size())));
  return (*v)[i];
}

struct RunResult {
  int64_t reads = 0, errors = 0;
  double seconds = 0, reads_per_s = 0, p50_us = 0, p99_us = 0, mean_us = 0, cpu_us_per_read = 0;
  int64_t appends = 0, commits = 0;  // the audit log's, during the run
};

inline double process_cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

inline std::string run_json(const char* mode, bool shm, int clients, const RunResult& r) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "{\"config\":\"%s\",\"audit\":\"%s\",\"clients\":%d,\"reads\":%lld,"
                "\"errors\":%lld,\"reads_per_s\":%.0f,\"p50_us\":%.0f,\"p99_us\":%.0f,"
                "\"mean_us\":%.1f,\"cpu_us_per_read\":%.1f,\"audit_appends\":%lld,"
                "\"audit_commits\":%lld}",
                mode,
                std::string(mode) == "before" ? "none"
                : shm                         ? "tmpfs"
                                              : "disk",
                clients, static_cast<long long>(r.reads), static_cast<long long>(r.errors),
                r.reads_per_s, r.p50_us, r.p99_us, r.mean_us, r.cpu_us_per_read,
                static_cast<long long>(r.appends), static_cast<long long>(r.commits));
  return buf;
}

inline void print_run(const char* mode, bool shm, int clients, const RunResult& r,
                      const RunResult* before) {
  std::fprintf(stderr,
               "%-6s audit=%-5s clients=%-2d %8.0f reads/s  p50 %5.0f us  p99 %6.0f us  "
               "cpu %6.1f us/read",
               mode,
               std::string(mode) == "before" ? "none"
               : shm                         ? "tmpfs"
                                             : "disk",
               clients, r.reads_per_s, r.p50_us, r.p99_us, r.cpu_us_per_read);
  if (before != nullptr && before->reads_per_s > 0) {
    std::fprintf(stderr, "  ratio %.3f", r.reads_per_s / before->reads_per_s);
  }
  if (r.commits > 0) {
    std::fprintf(stderr, "  appends/commit %.1f",
                 static_cast<double>(r.appends) / static_cast<double>(r.commits));
  }
  if (r.errors > 0) std::fprintf(stderr, "  ERRORS %lld", static_cast<long long>(r.errors));
  std::fputc('\n', stderr);
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// "1,4,16" -> {1, 4, 16}; a bad item becomes 0 (the caller range-checks).
inline std::vector<int> parse_int_list(const std::string& s) {
  std::vector<int> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    const std::string item = s.substr(start, comma == std::string::npos ? comma : comma - start);
    out.push_back(item.empty() ? 0 : std::atoi(item.c_str()));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace gw::rest::bench
