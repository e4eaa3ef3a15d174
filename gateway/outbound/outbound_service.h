// gatewayd's forwarding: a feeder thread that turns newly stored messages into
// queue items (outbound_queue.h explains why that loses nothing across a
// crash), and one sender thread per destination that delivers its items in
// queue order, i.e. in the order the store committed them, one at a time: a
// transaction for a patient never overtakes an earlier one for the same
// patient. A failed attempt is retried after a capped exponential backoff and
// blocks the items behind it (order before throughput); a refused item
// becomes a dead letter and the next one goes.
//
// Nothing here is on the acknowledgement path: the ingest acknowledges once
// the store has committed, and the feeder reads the store afterwards, so a
// destination that is down only lets its queue grow.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/base/status.h"
#include "gateway/outbound/forwarder.h"
#include "gateway/outbound/outbound_queue.h"
#include "gateway/store/message_store.h"

namespace gw::outbound {

struct DestinationSpec {
  std::string name;     // "<channel>/fhir" or "<channel>/mllp": the queue's key
  std::string channel;  // whose accepted messages it receives
  std::unique_ptr<Forwarder> forwarder;
  std::chrono::milliseconds retry_initial{1000};
  std::chrono::milliseconds retry_max{300000};
};

struct OutboundOptions {
  std::string queue_path;               // e.g. <state_dir>/outbound.db
  std::chrono::milliseconds poll{200};  // feeder and idle senders look again after this
  size_t feed_batch = 1000;             // store messages read per feeder round
};

class OutboundService {
 public:
  // Opens the queue (a new one starts after the store's last message) and
  // starts the threads. `store` must outlive the service.
  static Result<std::unique_ptr<OutboundService>> start(OutboundOptions options,
                                                        store::MessageStore* store,
                                                        std::vector<DestinationSpec> destinations);
  ~OutboundService();  // stop()
  OutboundService(const OutboundService&) = delete;
  OutboundService& operator=(const OutboundService&) = delete;

  // Stops the threads; a delivery in progress finishes or times out first.
  // What is queued stays queued for the next start.
  void stop();
  // Wakes the feeder (e.g. after a commit); polling alone also finds everything.
  void notify();

  // Per configured destination (and any other still holding items).
  Result<std::vector<DestinationCounts>> counts();
  // Logs event=stats.outbound per destination.
  void log_stats();

 private:
  OutboundService() = default;
  void feed_loop();
  Status feed_once();
  void send_loop(size_t index);
  // Sleeps until `deadline`, a notify, or stop; false when stopping.
  bool wait(std::chrono::steady_clock::time_point deadline);

  OutboundOptions options_;
  store::MessageStore* store_ = nullptr;
  std::unique_ptr<OutboundQueue> queue_;
  std::vector<DestinationSpec> destinations_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t generation_ = 0;  // guarded by mu_; bumped by notify()
  std::vector<std::thread> threads_;
};

// The store's highest message id (0 when empty), by paging its summaries.
Result<int64_t> last_message_id(store::MessageStore& store);

}  // namespace gw::outbound
