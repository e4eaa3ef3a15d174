#include "adapters/mllp/input_budget.h"

#include <algorithm>

namespace gw::mllp {

bool InputBudget::try_charge(size_t n) {
  size_t cur = used_.load(std::memory_order_relaxed);
  for (;;) {
    if (cur > limit_ || n > limit_ - cur) return false;
    if (used_.compare_exchange_weak(cur, cur + n, std::memory_order_relaxed)) return true;
  }
}

void InputBudget::release(size_t n) {
  if (n == 0) return;
  used_.fetch_sub(n, std::memory_order_relaxed);
  // Only the first release after a pause wakes anyone: a loop whose
  // connections are still short of room pauses them again and re-arms.
  if (!waiting_.load(std::memory_order_relaxed) || !waiting_.exchange(false)) return;
  wake_all();
}

void InputBudget::wake_all() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, wake] : subscribers_) wake();
}

bool InputBudget::take_overdraft(uint64_t holder) {
  uint64_t expected = 0;
  return overdraft_holder_.compare_exchange_strong(expected, holder) || expected == holder;
}

void InputBudget::return_overdraft(uint64_t holder) {
  uint64_t expected = holder;
  if (!overdraft_holder_.compare_exchange_strong(expected, 0)) return;
  waiting_.store(false);
  wake_all();
}

bool InputBudget::charge_or_wait(size_t n) {
  if (try_charge(n)) return true;
  waiting_.store(true);
  if (try_charge(n)) return true;
  pauses_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

uint64_t InputBudget::subscribe(std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(mu_);
  subscribers_.emplace_back(next_id_, std::move(wake));
  return next_id_++;
}

void InputBudget::unsubscribe(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  subscribers_.erase(std::remove_if(subscribers_.begin(), subscribers_.end(),
                                    [id](const auto& s) { return s.first == id; }),
                     subscribers_.end());
}

}  // namespace gw::mllp
