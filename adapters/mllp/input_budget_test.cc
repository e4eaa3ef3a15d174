#include "adapters/mllp/input_budget.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace gw::mllp {
namespace {

TEST(InputBudgetTest, ChargesUpToTheLimitAndNoFurther) {
  InputBudget b(100);
  EXPECT_TRUE(b.try_charge(60));
  EXPECT_TRUE(b.try_charge(40));
  EXPECT_EQ(b.used(), 100u);
  EXPECT_FALSE(b.try_charge(1));
  EXPECT_EQ(b.used(), 100u);  // a refused charge leaves nothing behind
  b.release(30);
  EXPECT_FALSE(b.try_charge(31));
  EXPECT_TRUE(b.try_charge(30));
}

TEST(InputBudgetTest, UnconditionalChargeMayPassTheLimitAndBlocksFurtherCharges) {
  InputBudget b(100);
  b.charge(150);
  EXPECT_EQ(b.used(), 150u);
  EXPECT_FALSE(b.try_charge(1));
  b.release(100);
  EXPECT_TRUE(b.try_charge(50));
}

TEST(InputBudgetTest, AFailedChargeCountsAPauseAndTheNextReleaseWakesEverySubscriberOnce) {
  InputBudget b(10);
  int woken_a = 0, woken_b = 0;
  b.subscribe([&] { ++woken_a; });
  b.subscribe([&] { ++woken_b; });
  ASSERT_TRUE(b.charge_or_wait(10));
  b.release(5);  // nobody waits yet: no wake
  EXPECT_EQ(woken_a, 0);
  ASSERT_TRUE(b.charge_or_wait(5));
  EXPECT_FALSE(b.charge_or_wait(1));
  EXPECT_EQ(b.pauses(), 1u);
  b.release(3);
  EXPECT_EQ(woken_a, 1);
  EXPECT_EQ(woken_b, 1);
  b.release(2);  // not re-armed: no second wake
  EXPECT_EQ(woken_a, 1);
}

TEST(InputBudgetTest, UnsubscribedLoopsAreNotWoken) {
  InputBudget b(1);
  int woken = 0;
  uint64_t id = b.subscribe([&] { ++woken; });
  b.charge(1);
  EXPECT_FALSE(b.charge_or_wait(1));
  b.unsubscribe(id);
  b.release(1);
  EXPECT_EQ(woken, 0);
}

TEST(InputBudgetTest, OneOverdraftHolderAtATimeAndItsReturnWakesTheOthers) {
  InputBudget b(10);
  int woken = 0;
  b.subscribe([&] { ++woken; });
  EXPECT_TRUE(b.take_overdraft(7));
  EXPECT_TRUE(b.take_overdraft(7));  // already its own
  EXPECT_FALSE(b.take_overdraft(8));
  b.return_overdraft(8);  // not the holder: nothing happens
  EXPECT_FALSE(b.take_overdraft(8));
  EXPECT_EQ(woken, 0);
  b.return_overdraft(7);
  EXPECT_EQ(woken, 1);
  EXPECT_TRUE(b.take_overdraft(8));
}

TEST(InputBudgetTest, ConcurrentChargesNeverPassTheLimit) {
  InputBudget b(1000);
  std::atomic<size_t> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        if (b.try_charge(7)) {
          granted += 7;
          EXPECT_LE(b.used(), 1000u);
          b.release(7);
          granted -= 7;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(b.used(), 0u);
}

}  // namespace
}  // namespace gw::mllp
