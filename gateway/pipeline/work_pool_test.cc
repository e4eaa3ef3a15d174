#include "gateway/pipeline/work_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

namespace gw::pipeline {
namespace {

using namespace std::chrono_literals;

// Continuations run in post order even when later jobs finish first.
TEST(InOrderTest, ContinuationsRunInPostOrderWhateverOrderJobsFinishIn) {
  WorkPool pool(4, size_t{1} << 30);
  InOrder order(&pool);
  std::vector<int> seen;  // touched by continuations only: never concurrently
  constexpr int kJobs = 400;
  for (int i = 0; i < kJobs; ++i) {
    order.post(1, [i, &seen]() -> InOrder::Continuation {
      // Early jobs take longest, so later ones are ready first.
      if (i % 7 == 0) std::this_thread::sleep_for(std::chrono::microseconds(300));
      return [i, &seen] { seen.push_back(i); };
    });
  }
  order.wait_idle();
  ASSERT_EQ(seen.size(), static_cast<size_t>(kJobs));
  for (int i = 0; i < kJobs; ++i) EXPECT_EQ(seen[i], i);
}

TEST(InOrderTest, JobsRunOnSeveralThreadsAtOnce) {
  WorkPool pool(2, size_t{1} << 30);
  InOrder order(&pool);
  std::atomic<int> running{0}, most{0};
  for (int i = 0; i < 20; ++i) {
    order.post(1, [&]() -> InOrder::Continuation {
      const int now = ++running;
      int m = most.load();
      while (now > m && !most.compare_exchange_weak(m, now)) {
      }
      std::this_thread::sleep_for(5ms);
      --running;
      return nullptr;
    });
  }
  order.wait_idle();
  EXPECT_EQ(most.load(), 2);
}

// Past the pool's byte bound a job runs on the posting thread: the queue
// never holds more than the bound (plus the one job an empty queue takes).
TEST(InOrderTest, PastTheByteBoundTheCallerRunsTheJobAndOrderHolds) {
  WorkPool pool(1, 100);
  InOrder order(&pool);
  std::atomic<bool> release{false}, started{false};
  const auto poster = std::this_thread::get_id();
  std::vector<int> seen;
  std::set<int> ran_on_poster;
  std::mutex mu;
  // Job 0 blocks the only worker; job 1 fills the queue up to the bound;
  // jobs 2.. cannot be queued and run here, yet continue after 0 and 1.
  for (int i = 0; i < 5; ++i) {
    order.post(60, [&, i]() -> InOrder::Continuation {
      if (i == 0) {
        started = true;
        while (!release.load()) std::this_thread::sleep_for(1ms);
      }
      if (std::this_thread::get_id() == poster) {
        std::lock_guard<std::mutex> lock(mu);
        ran_on_poster.insert(i);
      }
      return [&, i] { seen.push_back(i); };
    });
    if (i == 0)
      while (!started.load()) std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(ran_on_poster, (std::set<int>{2, 3, 4}));
  EXPECT_TRUE(seen.empty());  // all wait for job 0
  release = true;
  order.wait_idle();
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3, 4}));
}

// A job that throws gives up its turn: later continuations still run.
TEST(InOrderTest, AThrowingJobDoesNotStopTheOnesAfterIt) {
  WorkPool pool(2, size_t{1} << 30);
  InOrder order(&pool);
  std::vector<int> seen;
  for (int i = 0; i < 10; ++i) {
    order.post(1, [i, &seen]() -> InOrder::Continuation {
      if (i == 3) throw std::bad_alloc();
      return [i, &seen] { seen.push_back(i); };
    });
  }
  order.wait_idle();
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 4, 5, 6, 7, 8, 9}));
}

TEST(InOrderTest, WithoutAPoolJobsRunInlineInOrder) {
  InOrder order(nullptr);
  std::vector<int> seen;
  for (int i = 0; i < 3; ++i)
    order.post(1,
               [i, &seen]() -> InOrder::Continuation { return [i, &seen] { seen.push_back(i); }; });
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2}));
}

// Posting from several threads: every continuation runs once, never two at
// a time, in the order tickets were taken.
TEST(InOrderTest, PostsFromSeveralThreadsEachRunOnceAndNeverConcurrently) {
  WorkPool pool(2, size_t{1} << 30);
  InOrder order(&pool);
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  std::vector<int> seen;
  std::vector<std::thread> posters;
  for (int t = 0; t < 4; ++t) {
    posters.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i) {
        order.post(1, [&, id = t * 1000 + i]() -> InOrder::Continuation {
          return [&, id] {
            if (++inside > 1) overlapped = true;
            seen.push_back(id);
            --inside;
          };
        });
      }
    });
  }
  for (auto& p : posters) p.join();
  order.wait_idle();
  EXPECT_FALSE(overlapped.load());
  ASSERT_EQ(seen.size(), 1000u);
  // Each poster's own posts keep their order.
  std::vector<int> last(4, -1);
  for (int id : seen) {
    EXPECT_GT(id % 1000, last[id / 1000]);
    last[id / 1000] = id % 1000;
  }
}

TEST(WorkPoolTest, DestructorRunsWhatIsQueued) {
  std::atomic<int> ran{0};
  {
    WorkPool pool(1, size_t{1} << 30);
    for (int i = 0; i < 50; ++i) {
      std::function<void()> job = [&] {
        std::this_thread::sleep_for(100us);
        ++ran;
      };
      if (!pool.try_post(1, job)) job();
    }
  }
  EXPECT_EQ(ran.load(), 50);
}

}  // namespace
}  // namespace gw::pipeline
