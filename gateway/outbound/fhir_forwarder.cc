// FHIR destination: one transaction Bundle per message, POSTed to the
// server's base URL. At-least-once delivery is safe because the Bundle is
// idempotent: every entry is a conditional update on business identifiers or
// an update of a deterministic id (MessageHeader, Provenance, and every entry
// with FhirRequestStyle::kById), so a transaction sent again after a lost response
// changes nothing on the server.
#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/URI.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>

#include "fhir/json/json.h"
#include "fhir/json/write.h"
#include "gateway/base/tls_client.h"
#include "gateway/outbound/forwarder.h"
#include "gateway/outbound/payload_internal.h"
#include "gateway/pipeline/normalize.h"

namespace gw::outbound {
namespace {

using Kind = Delivery::Kind;

// HTTP Basic credentials from the URL's user:password (never logged).
struct Basic {
  std::string user, password;
};

// Bytes of a response body read (and dropped) at most: the outcome is the
// status; the body only has to be consumed.
constexpr std::streamsize kMaxResponseBytes = 4 << 20;

// Rewrites a conditional entry into PUT Type/<id>, the id being the one the
// mapping derived (the entry's urn:uuid fullUrl). References between entries
// stay urn:uuid: the server resolves them to the assigned Type/id.
bool to_put_by_id(fhir::JsonValue* entry) {
  const fhir::JsonValue* full_url = entry->find("fullUrl");
  fhir::JsonValue* resource = entry->find_mutable("resource");
  if (full_url == nullptr || !full_url->is_string() || resource == nullptr) return false;
  const std::string& url = full_url->text();
  if (!url.starts_with("urn:uuid:")) return false;
  const fhir::JsonValue* type = resource->find("resourceType");
  if (type == nullptr || !type->is_string()) return false;
  const std::string id = url.substr(9);
  if (fhir::JsonValue* body_id = resource->find_mutable("id")) {
    *body_id = fhir::JsonValue::make_string(id);  // MessageHeader, Provenance: already by id
  } else {
    resource->add("id", fhir::JsonValue::make_string(id));
  }
  fhir::JsonValue request = fhir::JsonValue::make_object();
  request.add("method", fhir::JsonValue::make_string("PUT"));
  request.add("url", fhir::JsonValue::make_string(type->text() + "/" + id));
  entry->add("request", std::move(request));
  return true;
}

// Replaces the resource of the entry whose fullUrl is urn:uuid:<id> by the
// stored version `json`. False if `json` does not parse.
bool send_stored_version(fhir::JsonValue* bundle, const std::string& id, const std::string& json) {
  fhir::JsonResult<fhir::JsonValue> parsed =
      fhir::parse_json(json, fhir::own_document_limits(json.size()));
  if (!parsed.ok() || !parsed->is_object()) return false;
  fhir::JsonValue* entries = bundle->find_mutable("entry");
  if (entries == nullptr) return true;
  std::set<std::string> entry_ids;
  for (const fhir::JsonValue& e : entries->items()) {
    const fhir::JsonValue* full_url = e.find("fullUrl");
    if (full_url != nullptr && full_url->is_string() && full_url->text().starts_with("urn:uuid:"))
      entry_ids.insert(full_url->text().substr(9));
  }
  fhir::JsonValue resource = std::move(parsed).value();
  to_full_urls(&resource, entry_ids);
  for (fhir::JsonValue& e : entries->mutable_items()) {
    const fhir::JsonValue* full_url = e.find("fullUrl");
    if (full_url == nullptr || !full_url->is_string() || full_url->text() != "urn:uuid:" + id)
      continue;
    const fhir::JsonValue* request = e.find("request");
    const fhir::JsonValue* url = request != nullptr ? request->find("url") : nullptr;
    // A conditional update's body carries no id (see v2fhir/convert.h).
    if (url != nullptr && url->is_string() && url->text().find('?') != std::string::npos)
      resource.remove("id");
    *e.find_mutable("resource") = std::move(resource);
    return true;
  }
  return true;
}

class FhirForwarder final : public Forwarder {
 public:
  FhirForwarder(FhirForwarderOptions options, Poco::Net::Context::Ptr context, std::string host,
                uint16_t port, std::string path, std::optional<Basic> credentials,
                std::string token)
      : options_(std::move(options)),
        context_(std::move(context)),
        host_(std::move(host)),
        port_(port),
        path_(std::move(path)),
        credentials_(std::move(credentials)),
        token_(std::move(token)) {}

  Delivery deliver(const QueueItem& item, const std::string& raw) override {
    if (options_.source == FhirSource::kStoredRecords) return deliver_stored(item);
    // The versions this message wrote (read once, only if a partial resource
    // asks); a resource it left unchanged is read at its latest version.
    std::optional<std::vector<store::StoredRecord>> written;
    auto lookup = [&](const std::string& type,
                      const std::string& id) -> std::optional<std::string> {
      if (options_.store == nullptr) return std::nullopt;
      if (!written) {
        store::RecordQuery q;
        q.message_id = item.message_id;
        q.limit = 100000;
        written = options_.store->list_records(q);
      }
      for (const store::StoredRecord& r : *written)
        if (r.resource_type == type && r.resource_id == id) return r.resource_json;
      if (auto latest = options_.store->read_record(type, id, 0)) return latest->resource_json;
      return std::nullopt;
    };
    FhirPayload p = fhir_payload(raw, options_.parse, options_.mapping, options_.style, lookup);
    if (p.kind != Kind::kDelivered) return {p.kind, p.detail};
    return post(p.json);
  }

 private:
  // Most record versions one message may send (a received transfer is
  // bounded by the peering listener's body limit long before this).
  static constexpr size_t kMaxStoredRecords = 100000;

  Delivery deliver_stored(const QueueItem& item) {
    // list_records answers a read error with what it has; the error counter
    // tells a failed read from the end of the message's records.
    const uint64_t errors_before = options_.store->stats().read_errors;
    std::vector<store::StoredRecord> records;
    store::RecordQuery q;
    q.message_id = item.message_id;
    q.limit = 1000;
    for (;;) {
      std::vector<store::StoredRecord> page = options_.store->list_records(q);
      if (page.empty()) break;
      q.after_seq = page.back().seq;
      for (store::StoredRecord& r : page) records.push_back(std::move(r));
      if (records.size() > kMaxStoredRecords)
        return {Kind::kRejected, "the message stored more records than one transaction may carry"};
    }
    if (options_.store->stats().read_errors != errors_before)
      return {Kind::kRetry, "the message's records could not be read from the store"};
    FhirPayload p = stored_records_payload(records, options_.style);
    if (p.kind != Kind::kDelivered) return {p.kind, p.detail};
    return post(p.json);
  }

  // One exchange on the kept-alive connection (a TLS handshake per message
  // would cost several round trips, and messages go one at a time). When a
  // reused connection fails before any response (the server closed it while
  // idle), the request goes once more on a new connection straight away:
  // the transaction is idempotent, so sending it twice is harmless.
  Delivery post(const std::string& body) {
    const bool reused = session_ != nullptr;
    bool no_response = false;
    Delivery d = post_once(body, &no_response);
    if (reused && no_response) d = post_once(body, &no_response);
    return d;
  }

  Delivery post_once(const std::string& body, bool* no_response) {
    *no_response = false;
    bool responded = false;
    try {
      if (!session_) {
        session_ = std::make_unique<Poco::Net::HTTPSClientSession>(host_, port_, context_);
        const Poco::Timespan t(
            std::chrono::duration_cast<std::chrono::microseconds>(options_.timeout).count());
        session_->setTimeout(t, t, t);
        session_->setKeepAlive(true);
        // Reconnect rather than reuse a connection idle for longer than
        // servers commonly keep one (Poco's default is 8 s).
        session_->setKeepAliveTimeout(Poco::Timespan(5, 0));
      }
      Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path_,
                                     Poco::Net::HTTPMessage::HTTP_1_1);
      request.setContentType("application/fhir+json; charset=utf-8");
      request.setContentLength(static_cast<std::streamsize>(body.size()));
      request.setKeepAlive(true);
      request.set("Accept", "application/fhir+json");
      if (credentials_)
        Poco::Net::HTTPBasicCredentials(credentials_->user, credentials_->password)
            .authenticate(request);
      if (!token_.empty()) request.set("Authorization", "Bearer " + token_);
      std::ostream& out = session_->sendRequest(request);
      out.write(body.data(), static_cast<std::streamsize>(body.size()));
      out.flush();
      if (!out) {
        session_.reset();
        *no_response = true;
        return {Kind::kRetry, "FHIR server: sending the transaction failed"};
      }
      Poco::Net::HTTPResponse response;
      std::istream& in = session_->receiveResponse(response);
      responded = true;
      char buf[16384];
      std::streamsize total = 0;
      while (in && total < kMaxResponseBytes) {
        in.read(buf, sizeof buf);
        total += in.gcount();
      }
      // A body not read to its end leaves the connection unusable.
      if (!in.eof() || !response.getKeepAlive()) session_.reset();
      const int status = static_cast<int>(response.getStatus());
      const Kind kind = classify_http_status(status);
      return {kind, kind == Kind::kDelivered
                        ? ""
                        : "FHIR server answered HTTP " + std::to_string(status)};
    } catch (const Poco::TimeoutException& e) {
      // A server that does not answer in time is not a closed idle
      // connection: not tried again at once.
      session_.reset();
      return {Kind::kRetry, "FHIR server: no complete response in time: " + e.displayText()};
    } catch (const Poco::Exception& e) {
      session_.reset();
      *no_response = !responded;
      // Poco's texts name the failure (refused, timeout, certificate), not
      // the URL or anything we sent.
      return {Kind::kRetry, "FHIR server unreachable or no complete response: " + e.displayText()};
    } catch (const std::exception&) {
      session_.reset();
      *no_response = !responded;
      return {Kind::kRetry, "FHIR server: exchange failed"};
    }
  }

  FhirForwarderOptions options_;
  Poco::Net::Context::Ptr context_;
  std::string host_;
  uint16_t port_;
  std::string path_;
  std::optional<Basic> credentials_;
  std::string token_;
  std::unique_ptr<Poco::Net::HTTPSClientSession> session_;  // kept alive between messages
};

}  // namespace

void to_full_urls(fhir::JsonValue* v, const std::set<std::string>& entry_ids) {
  if (v->is_array()) {
    for (fhir::JsonValue& item : v->mutable_items()) to_full_urls(&item, entry_ids);
    return;
  }
  if (!v->is_object()) return;
  for (const fhir::JsonMember& m : v->members()) {
    // members() is const only for want of a mutable view; *v is ours.
    fhir::JsonValue* value = const_cast<fhir::JsonValue*>(&m.value);
    if (m.key == "reference" && value->is_string()) {
      const std::string& ref = value->text();
      const size_t slash = ref.find('/');
      if (slash != std::string::npos && entry_ids.count(ref.substr(slash + 1)))
        *value = fhir::JsonValue::make_string("urn:uuid:" + ref.substr(slash + 1));
    } else {
      to_full_urls(value, entry_ids);
    }
  }
}

Delivery::Kind classify_http_status(int status) {
  if (status >= 200 && status < 300) return Kind::kDelivered;
  // The server, not this message: not there (404/405: wrong URL), not allowed
  // (401/403: credentials), busy (408, 429) or failing (5xx). Retried, so the
  // queue waits until the operator or the server fixes it, instead of
  // turning every message into a dead letter.
  if (status == 401 || status == 403 || status == 404 || status == 405 || status == 408 ||
      status == 429 || status >= 500)
    return Kind::kRetry;
  // 400, 409, 412, 413, 415, 422...: the server refuses this transaction.
  if (status >= 400) return Kind::kRejected;
  return Kind::kRetry;  // 1xx, 3xx: not an answer we can act on
}

FhirPayload fhir_payload(const std::string& raw, const hl7::ParseOptions& parse,
                         const v2fhir::MappingConfig& mapping, FhirRequestStyle style,
                         const StoredRecordLookup& stored) {
  FhirPayload out;
  hl7::ParseResult r = hl7::parse(raw, parse);
  if (!r.message) {
    out.kind = Kind::kRejected;
    out.detail = "the stored message no longer parses";
    return out;
  }
  if (r.header && r.header->message_code == "ACK") {
    out.kind = Kind::kSkipped;
    out.detail = "acknowledgements are not forwarded";
    return out;
  }
  pipeline::Normalized n = pipeline::normalize_v2(*r.message, mapping);
  if (n.unsupported_type()) {
    out.kind = Kind::kSkipped;
    out.detail = "message type stored without records";
    return out;
  }
  if (!n.ok()) {
    // Accepted with records, so it mapped then: the mapping configuration
    // has changed since. Not retried: it would fail the same way.
    out.kind = Kind::kRejected;
    out.detail = "the message does not map with the channel's current mapping: " +
                 pipeline::summarize(n.errors, 3);
    return out;
  }
  if (stored) {
    for (const store::RecordWrite& w : n.records) {
      if (w.merge.empty()) continue;
      std::optional<std::string> json = stored(w.resource_type, w.resource_id);
      if (json && !send_stored_version(&n.bundle, w.resource_id, *json)) {
        out.kind = Kind::kRejected;
        out.detail = "a stored record does not parse";
        return out;
      }
    }
  }
  if (style == FhirRequestStyle::kById) {
    fhir::JsonValue* entries = n.bundle.find_mutable("entry");
    if (entries != nullptr)
      for (fhir::JsonValue& e : entries->mutable_items())
        if (!to_put_by_id(&e)) {
          out.kind = Kind::kRejected;
          out.detail = "a Bundle entry has no urn:uuid fullUrl to address it by id";
          return out;
        }
  }
  out.json = fhir::write_json(n.bundle);
  return out;
}

Result<std::unique_ptr<Forwarder>> make_fhir_forwarder(FhirForwarderOptions options) {
  Poco::URI uri;
  try {
    uri = Poco::URI(options.url);
  } catch (const Poco::Exception&) {
    return invalid_argument_error("forward_fhir is not a valid URL");
  }
  if (uri.getScheme() != "https" || uri.getHost().empty())
    return invalid_argument_error("forward_fhir must be https://HOST[:PORT][/PATH]");
  std::optional<Basic> credentials;
  if (!uri.getUserInfo().empty()) {
    auto [user, password] = split_user_info(uri.getUserInfo());
    credentials = Basic{std::move(user), std::move(password)};
  }
  for (const std::string* f : {&options.ca_file, &options.client_cert_file,
                               &options.client_key_file, &options.bearer_token_file}) {
    std::error_code ec;
    if (!f->empty() && !std::filesystem::is_regular_file(*f, ec))
      return not_found_error("forwarding file not found: " + *f);
  }
  if (options.client_cert_file.empty() != options.client_key_file.empty())
    return invalid_argument_error(
        "forward_fhir_client_cert_file and forward_fhir_client_key_file go together");
  std::string token;
  if (!options.bearer_token_file.empty()) {
    std::ifstream in(options.bearer_token_file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    token = ss.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
      token.pop_back();
    if (token.empty() || token.find_first_of("\r\n") != std::string::npos)
      return invalid_argument_error("forward_fhir_bearer_token_file " + options.bearer_token_file +
                                    ": expected one line holding the token");
    if (credentials)
      return invalid_argument_error(
          "forward_fhir: give either user:password in the URL or a bearer token file, not both");
  }
  if (options.source == FhirSource::kStoredRecords && options.store == nullptr)
    return invalid_argument_error("forward_fhir: sending stored records needs the message store");
  auto context = make_tls_client_context(options.ca_file, options.client_cert_file,
                                         options.client_key_file, "forward_fhir");
  if (!context.ok()) return context.error();
  std::string path = uri.getPathEtc();
  if (path.empty()) path = "/";
  const std::string host = uri.getHost();
  const uint16_t port = uri.getPort();
  return std::unique_ptr<Forwarder>(
      new FhirForwarder(std::move(options), std::move(context).value(), host, port, std::move(path),
                        std::move(credentials), std::move(token)));
}

}  // namespace gw::outbound
