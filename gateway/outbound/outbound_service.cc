#include "gateway/outbound/outbound_service.h"

#include <map>
#include <set>

#include "gateway/base/clock.h"
#include "gateway/log/log.h"

namespace gw::outbound {

Result<int64_t> last_message_id(store::MessageStore& store) {
  // list() answers a read error with an empty page; the error counter tells
  // it from the end of the store.
  const uint64_t errors_before = store.stats().read_errors;
  int64_t last = 0;
  for (;;) {
    std::vector<store::StoredMessageSummary> page = store.list(last, 10000);
    if (store.stats().read_errors != errors_before)
      return unavailable_error("outbound: could not read the message store's last message id");
    if (page.empty()) return last;
    last = page.back().id;
  }
}

Result<std::unique_ptr<OutboundService>> OutboundService::start(
    OutboundOptions options, store::MessageStore* store,
    std::vector<DestinationSpec> destinations) {
  std::unique_ptr<OutboundService> s(new OutboundService());
  GW_ASSIGN_OR_RETURN(s->queue_, OutboundQueue::open(options.queue_path,
                                                     [store] { return last_message_id(*store); }));
  s->options_ = std::move(options);
  s->store_ = store;
  s->destinations_ = std::move(destinations);
  // Items left for a destination no longer configured wait there; say so
  // once rather than drop them.
  if (auto counts = s->queue_->counts(); counts.ok()) {
    for (const DestinationCounts& c : *counts) {
      bool configured = false;
      for (const DestinationSpec& d : s->destinations_) configured |= d.name == c.destination;
      if (!configured && c.queued + c.dead > 0)
        log::warn("outbound.unconfigured_destination",
                  {{"destination", c.destination},
                   {"queued", std::to_string(c.queued)},
                   {"dead", std::to_string(c.dead)},
                   {"detail", "items wait for a destination no longer configured"}});
    }
  }
  s->threads_.emplace_back([p = s.get()] { p->feed_loop(); });
  for (size_t i = 0; i < s->destinations_.size(); ++i)
    s->threads_.emplace_back([p = s.get(), i] { p->send_loop(i); });
  return s;
}

OutboundService::~OutboundService() { stop(); }

void OutboundService::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    ++generation_;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void OutboundService::notify() {
  {
    std::lock_guard lock(mu_);
    ++generation_;
  }
  cv_.notify_all();
}

bool OutboundService::wait(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  const uint64_t seen = generation_;
  cv_.wait_until(lock, deadline, [&] { return stop_.load() || generation_ != seen; });
  return !stop_.load();
}

Status OutboundService::feed_once() {
  std::map<std::string, std::vector<const DestinationSpec*>> by_channel;
  for (const DestinationSpec& d : destinations_) by_channel[d.channel].push_back(&d);
  for (;;) {
    GW_ASSIGN_OR_RETURN(int64_t cursor, queue_->cursor());
    std::vector<store::StoredMessageSummary> page = store_->list(cursor, options_.feed_batch);
    if (page.empty()) return ok_status();
    // Nothing is forwarded that a power failure could still take back (a
    // message committed but not yet synced, message_store.h).
    GW_RETURN_IF_ERROR(store_->wait_durable());
    std::vector<NewItem> items;
    for (const store::StoredMessageSummary& m : page) {
      // Only what a channel accepted (v2 messages; received transfers, whose
      // store channel is "peer") is forwarded: acknowledgements
      // are stored but never forwarded (a receiver does not answer them), and
      // the REST endpoint's writes ("FHIR ..." types, rest/fhir_api.h) came
      // from no channel, whatever its channel label says.
      if (m.status != store::MessageStatus::kAccepted || m.message_type.starts_with("ACK") ||
          m.message_type.starts_with("FHIR "))
        continue;
      auto it = by_channel.find(m.channel);
      if (it == by_channel.end()) continue;
      for (const DestinationSpec* d : it->second) items.push_back({d->name, m.id, m.control_id});
    }
    GW_RETURN_IF_ERROR(queue_->enqueue(items, page.back().id));
    if (!items.empty()) notify();
    if (page.size() < options_.feed_batch) return ok_status();
  }
}

void OutboundService::feed_loop() {
  bool failing = false;
  while (!stop_.load()) {
    if (Status s = feed_once(); !s.ok()) {
      if (!failing) log::error("outbound.feed_failed", {{"detail", s.message()}});
      failing = true;
    } else {
      failing = false;
    }
    if (!wait(std::chrono::steady_clock::now() + options_.poll)) return;
  }
}

void OutboundService::send_loop(size_t index) {
  DestinationSpec& d = destinations_[index];
  std::string last_logged;  // one log line per change of trouble, not per attempt
  while (!stop_.load()) {
    auto head = queue_->head(d.name);
    if (!head.ok() || !head->has_value()) {
      if (!head.ok()) log::error("outbound.queue_failed", {{"detail", head.error().message()}});
      if (!wait(std::chrono::steady_clock::now() + options_.poll)) return;
      continue;
    }
    const QueueItem item = **head;
    const int64_t now = now_ms();
    if (item.next_attempt_ms > now) {
      // Woken early by notify (new items) only to find the head still
      // waiting: the head goes first, so sleep on.
      const auto left = std::chrono::milliseconds(
          std::min<int64_t>(item.next_attempt_ms - now, options_.poll.count() * 5));
      if (!wait(std::chrono::steady_clock::now() + left)) return;
      continue;
    }
    Delivery result;
    std::optional<std::string> raw = store_->raw_message(item.message_id);
    if (!raw) {
      result = {Delivery::Kind::kRetry, "the message could not be read from the store"};
      // A message that is no longer there cannot be sent at all.
      std::vector<store::StoredMessageSummary> s = store_->list(item.message_id - 1, 1);
      if (s.empty() || s.front().id != item.message_id)
        result = {Delivery::Kind::kRejected, "the message is no longer in the store"};
    } else {
      result = d.forwarder->deliver(item, *raw);
    }
    Status recorded;
    switch (result.kind) {
      case Delivery::Kind::kDelivered:
      case Delivery::Kind::kSkipped:
        recorded = queue_->complete(item.seq, result.kind == Delivery::Kind::kSkipped);
        if (!last_logged.empty()) {
          log::info("outbound.recovered", {{"destination", d.name}});
          last_logged.clear();
        }
        break;
      case Delivery::Kind::kRetry: {
        const int64_t delay =
            backoff_ms(item.attempts + 1, d.retry_initial.count(), d.retry_max.count());
        recorded = queue_->retry_later(item.seq, result.detail, now_ms() + delay);
        if (result.detail != last_logged) {
          log::warn("outbound.retry", {{"destination", d.name},
                                       {"item", std::to_string(item.seq)},
                                       {"control_id", item.control_id},
                                       {"attempts", std::to_string(item.attempts + 1)},
                                       {"retry_in_ms", std::to_string(delay)},
                                       {"detail", result.detail}});
          last_logged = result.detail;
        }
        break;
      }
      case Delivery::Kind::kRejected:
        recorded = queue_->dead_letter(item.seq, result.detail);
        log::warn("outbound.dead_letter", {{"destination", d.name},
                                           {"item", std::to_string(item.seq)},
                                           {"control_id", item.control_id},
                                           {"detail", result.detail}});
        break;
    }
    if (!recorded.ok()) {
      // The outcome is not recorded; the item stays at the head and is sent
      // again (harmless: deliveries are idempotent at the destination).
      log::error("outbound.queue_failed",
                 {{"destination", d.name}, {"detail", recorded.message()}});
      if (!wait(std::chrono::steady_clock::now() + options_.poll)) return;
    }
  }
}

Result<std::vector<DestinationCounts>> OutboundService::counts() {
  GW_ASSIGN_OR_RETURN(std::vector<DestinationCounts> found, queue_->counts());
  std::vector<DestinationCounts> out;
  for (const DestinationSpec& d : destinations_) {
    DestinationCounts c;
    c.destination = d.name;
    for (const DestinationCounts& f : found)
      if (f.destination == d.name) c = f;
    out.push_back(std::move(c));
  }
  for (const DestinationCounts& f : found) {
    bool listed = false;
    for (const DestinationCounts& o : out) listed |= o.destination == f.destination;
    if (!listed) out.push_back(f);
  }
  return out;
}

void OutboundService::log_stats() {
  auto counts = this->counts();
  if (!counts.ok()) {
    log::error("outbound.queue_failed", {{"detail", counts.error().message()}});
    return;
  }
  const int64_t now = now_ms();
  for (const DestinationCounts& c : *counts)
    log::info("stats.outbound",
              {{"destination", c.destination},
               {"queued", std::to_string(c.queued)},
               {"dead", std::to_string(c.dead)},
               {"sent", std::to_string(c.sent)},
               {"skipped", std::to_string(c.skipped)},
               {"retried", std::to_string(c.retried)},
               {"oldest_queued_age_s",
                std::to_string(c.oldest_queued_ms == 0 ? 0 : (now - c.oldest_queued_ms) / 1000)}});
}

}  // namespace gw::outbound
