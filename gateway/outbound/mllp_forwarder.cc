// MLLP destination: the message as received, one at a time on a kept-alive
// connection, each confirmed by the receiver's ACK before the next is sent.
// The ACK must acknowledge this very message (MSA-2 = its MSH-10): an ACK for
// anything else, or none within the timeout, means the outcome is unknown, so
// the connection is dropped (a late ACK can never be taken for the next
// message's) and the message is sent again later. The receiver tells a resend
// from a new message by MSH-10 (our own gatewayd stores it once and answers
// with the original ACK).
#include "adapters/hl7/ack.h"
#include "adapters/mllp/client.h"
#include "gateway/outbound/forwarder.h"

namespace gw::outbound {
namespace {

using Kind = Delivery::Kind;

class MllpForwarder final : public Forwarder {
 public:
  explicit MllpForwarder(MllpForwarderOptions options) : options_(std::move(options)) {}

  Delivery deliver(const QueueItem& item, const std::string& raw) override {
    // A kept-alive connection the receiver closed while idle (gatewayd closes
    // idle ones after idle_timeout_s) fails at once: that is tried again on a
    // new connection straight away instead of counting as a failed attempt.
    // Sending the message twice is what a retry does anyway (same MSH-10).
    const bool reused = client_ != nullptr;
    bool closed = false;
    Delivery d = attempt(item, raw, &closed);
    if (reused && closed) d = attempt(item, raw, &closed);
    return d;
  }

 private:
  // One exchange; *closed: the peer had closed the connection (as opposed to
  // a timeout or a refusal).
  Delivery attempt(const QueueItem& item, const std::string& raw, bool* closed) {
    *closed = false;
    if (!client_) {
      auto connected =
          options_.tls
              ? mllp::Client::connect(options_.host, options_.port, options_.timeout, *options_.tls)
              : mllp::Client::connect(options_.host, options_.port, options_.timeout);
      if (!connected.ok())
        return {Kind::kRetry, "MLLP receiver unreachable: " + connected.error().message()};
      client_ = std::move(connected).value();
      client_->set_send_timeout(options_.timeout);
    }
    if (gw::Status sent = client_->send(raw); !sent.ok()) {
      client_.reset();
      *closed = sent.code() == StatusCode::kUnavailable;
      return {Kind::kRetry, "MLLP send failed: " + sent.message()};
    }
    auto reply = client_->receive(options_.timeout);
    if (!reply.ok()) {
      client_.reset();
      *closed = reply.error().code() == StatusCode::kUnavailable;
      return {Kind::kRetry, "no ACK from the MLLP receiver: " + reply.error().message()};
    }
    Delivery d = classify_ack(*reply, item.control_id);
    if (d.kind == Kind::kRetry) client_.reset();
    return d;
  }

  MllpForwarderOptions options_;
  std::unique_ptr<mllp::Client> client_;
};

}  // namespace

Delivery classify_ack(const std::string& ack, const std::string& control_id) {
  auto summary = hl7::read_ack(ack);
  if (!summary.ok()) return {Kind::kRetry, "the MLLP receiver's answer is not a readable ACK"};
  if (summary->control_id != control_id)
    return {Kind::kRetry, "the MLLP receiver's ACK does not acknowledge this message (MSA-2)"};
  if (summary->accepted()) return {Kind::kDelivered, ""};
  const std::string code = summary->code;
  // ERR-3.1 comes from the receiver: kept for the operator only when it looks
  // like a table 0357 code, so no free text of theirs reaches logs or metrics.
  std::string err = summary->errors.empty() ? "" : summary->errors.front().code;
  if (err.size() > 8 || err.find_first_not_of("0123456789") != std::string::npos) err.clear();
  // AR/CR with code 207 is "application internal error": the receiver could
  // not process it now (our own gatewayd answers so when its store cannot
  // commit), and the sender is expected to send it again.
  if ((summary->ack_code == hl7::AckCode::kAR || summary->ack_code == hl7::AckCode::kCR) &&
      err == "207")
    return {Kind::kRetry, "the MLLP receiver answered " + code + " 207 (resend later)"};
  if (summary->ack_code.has_value())
    return {Kind::kRejected,
            "the MLLP receiver answered " + code + (err.empty() ? "" : " with error " + err)};
  return {Kind::kRetry, "the MLLP receiver's ACK has no known MSA-1 code"};
}

std::unique_ptr<Forwarder> make_mllp_forwarder(MllpForwarderOptions options) {
  return std::make_unique<MllpForwarder>(std::move(options));
}

}  // namespace gw::outbound
