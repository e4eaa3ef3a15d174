#include <gtest/gtest.h>

#include <thread>

#include "fhir/json/json.h"
#include "fhir/json/write.h"
#include "tests/support/sanitizer.h"

namespace gw::fhir {
namespace {

JsonValue coding(const char* code) {
  JsonValue c = JsonValue::make_object();
  c.add("system", JsonValue::make_string("http://loinc.org"));
  c.add("code", JsonValue::make_string(code));
  return c;
}

// The blocks of a freed value are reused by the next one built on the
// thread, and the thread keeps no more than a bound.
TEST(JsonNodePool, ReusesTheBlocksOfFreedValues) {
  if (gw::testing::kAddressSanitizer) GTEST_SKIP() << "nothing is recycled under AddressSanitizer";
  const size_t before = node_pool::cached_blocks();
  {
    JsonValue codings = JsonValue::make_array();
    for (int i = 0; i < 8; ++i) codings.push(coding("2345-7"));
  }
  const size_t freed = node_pool::cached_blocks();
  EXPECT_GT(freed, before);
  JsonValue again = coding("718-7");
  EXPECT_LT(node_pool::cached_blocks(), freed);
  EXPECT_EQ(write_json(again), R"({"system":"http://loinc.org","code":"718-7"})");

  // Far more values than a thread keeps: the cache stays bounded.
  {
    JsonValue many = JsonValue::make_array();
    for (int i = 0; i < 20'000; ++i) many.push(coding("x"));
  }
  EXPECT_LT(node_pool::cached_blocks(), 2 * 5 * 64 * 1024 / 40);
}

// Values built on one thread and freed on another (the pipeline hands
// records between threads) are valid and their blocks are released when
// the freeing thread ends (LeakSanitizer would report them otherwise).
TEST(JsonNodePool, ValuesMayBeFreedOnAnotherThread) {
  JsonValue built = JsonValue::make_array();
  for (int i = 0; i < 100; ++i) built.push(coding("2345-7"));
  std::thread t([v = std::move(built)]() mutable {
    JsonValue copy = v;
    EXPECT_EQ(copy.items().size(), 100u);
    v = JsonValue();
  });
  t.join();
  JsonValue after = coding("1");
  EXPECT_EQ(after.members().size(), 2u);
}

}  // namespace
}  // namespace gw::fhir
