#include "gateway/pipeline/work_pool.h"

#include <pthread.h>
#include <sched.h>

#include <utility>

namespace gw::pipeline {

size_t WorkPool::default_threads() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<size_t>(n);
  }
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? n : 1;
}

WorkPool::WorkPool(size_t threads, size_t max_queued_bytes) : max_queued_bytes_(max_queued_bytes) {
  if (threads == 0) threads = default_threads();
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

WorkPool::~WorkPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

bool WorkPool::try_post(size_t bytes, std::function<void()>& job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    // An empty queue always takes one job, however large: a frame bigger
    // than the bound must still reach a worker rather than the loop.
    if (stopping_ || (!queue_.empty() && queued_bytes_ + bytes > max_queued_bytes_)) return false;
    queued_bytes_ += bytes;
    queue_.push_back(Job{bytes, std::move(job)});
  }
  cv_.notify_one();
  return true;
}

void WorkPool::run() {
  pthread_setname_np(pthread_self(), "gw-pipeline");  // what top and perf show
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left to run
    Job job = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= job.bytes;
    lock.unlock();
    job.fn();
    job.fn = nullptr;  // release what the job captured before waiting again
    lock.lock();
  }
}

InOrder::~InOrder() { wait_idle(); }

void InOrder::post(size_t bytes, Job job) {
  uint64_t ticket;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ticket = next_ticket_++;
  }
  std::function<void()> run = [this, ticket, job = std::move(job)]() {
    Continuation next;
    // A job that throws (allocation failure) must still give up its turn, or
    // every later message would wait behind it forever. Its reply is then
    // dropped, which the sender sees as a timeout and resends.
    try {
      next = job();
    } catch (...) {
      next = nullptr;
    }
    complete(ticket, std::move(next));
  };
  if (pool_ == nullptr || !pool_->try_post(bytes, run)) run();
}

void InOrder::complete(uint64_t ticket, Continuation next) {
  std::unique_lock<std::mutex> lock(mu_);
  ready_.emplace(ticket, std::move(next));
  if (draining_) return;  // the draining thread will find it
  draining_ = true;
  for (;;) {
    auto it = ready_.find(next_to_run_);
    if (it == ready_.end()) break;
    Continuation c = std::move(it->second);
    ready_.erase(it);
    ++next_to_run_;
    lock.unlock();
    if (c) {
      try {
        c();
      } catch (...) {
      }
    }
    c = nullptr;
    lock.lock();
  }
  draining_ = false;
  if (next_to_run_ == next_ticket_) idle_.notify_all();
}

void InOrder::wait_idle() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return !draining_ && next_to_run_ == next_ticket_; });
}

}  // namespace gw::pipeline
