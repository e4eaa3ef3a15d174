// The pipeline's worker threads, and the order its results leave in.
//
// Why: parsing, mapping to FHIR, validation, labels and tokens cost far more
// CPU than reading a frame, and an MLLP channel has one event-loop thread by
// default. Done on that thread, one core does all of it while the other waits
// for the store. A WorkPool runs that work on every core; an InOrder per
// channel hands the results to the store in the order the frames arrived, so
// two messages about one patient (an A01 and the A08 right after it, even on
// different connections) are stored in the order they were received, as when
// the loop thread did everything.
//
// Memory: a queued job holds its frame. The pool bounds the bytes it queues
// (max_queued_bytes); past the bound, post() runs the job on the caller's
// thread, so a loop that outruns the workers does the work itself and stops
// reading until it is done (TCP flow control pushes back on the senders).
// Nothing is refused or reordered by that: order comes from the ticket taken
// in post(), not from which thread runs the job.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace gw::pipeline {

class WorkPool {
 public:
  // threads == 0: one per CPU the process may run on.
  WorkPool(size_t threads, size_t max_queued_bytes);
  // Runs every job still queued, then joins the threads.
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Queues `job` (moved from; charged `bytes` until it starts) and returns
  // true, or returns false and leaves `job` alone when the bound would be
  // passed (or the pool is stopping): the caller then runs it itself.
  bool try_post(size_t bytes, std::function<void()>& job);

  size_t threads() const { return threads_.size(); }
  static size_t default_threads();

 private:
  void run();

  const size_t max_queued_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  struct Job {
    size_t bytes;
    std::function<void()> fn;
  };
  std::deque<Job> queue_;
  size_t queued_bytes_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Runs jobs on a pool (or inline without one) and their continuations in the
// order the jobs were posted. A job returns its continuation (may be empty);
// continuations never run concurrently with each other. Safe to post from
// several threads; the order is that of the post() calls.
class InOrder {
 public:
  using Continuation = std::function<void()>;
  using Job = std::function<Continuation()>;

  explicit InOrder(WorkPool* pool) : pool_(pool) {}
  // Waits until every posted job and continuation has run.
  ~InOrder();

  void post(size_t bytes, Job job);
  // Blocks until everything posted so far has run (tests, shutdown).
  void wait_idle();

 private:
  void complete(uint64_t ticket, Continuation next);

  WorkPool* pool_;  // not owned; may be null
  std::mutex mu_;
  std::condition_variable idle_;
  uint64_t next_ticket_ = 0;  // given to the next post()
  uint64_t next_to_run_ = 0;  // the continuation that may run next
  std::map<uint64_t, Continuation> ready_;
  bool draining_ = false;  // a thread is running continuations
};

}  // namespace gw::pipeline
