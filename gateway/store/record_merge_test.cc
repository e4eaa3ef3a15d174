// merge_record: the rules of MergeRules on two JSON texts. Every odd shape
// (a missing element, an item without the key, repeated keys, values that
// are not arrays) gives one documented result and never an error.
#include "gateway/store/record_merge.h"

#include <gtest/gtest.h>

#include <string>

namespace gw::store::internal {
namespace {

MergeRules keep(std::vector<std::string> names) {
  MergeRules r;
  r.keep_stored = std::move(names);
  return r;
}

MergeRules by(std::string element, std::string key_path) {
  MergeRules r;
  r.merge_by.push_back({std::move(element), std::move(key_path)});
  return r;
}

std::string merged(std::string_view stored, std::string_view write, const MergeRules& rules) {
  auto r = merge_record(stored, write, rules);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.value_or("");
}

TEST(RecordMergeTest, KeepStoredTakesTheStoredElement) {
  EXPECT_EQ(
      merged(R"({"content":[{"a":"text"}],"status":"current"})",
             R"({"content":[{"a":"placeholder"}],"status":"entered-in-error"})", keep({"content"})),
      R"({"content":[{"a":"text"}],"status":"entered-in-error"})");
}

TEST(RecordMergeTest, KeepStoredWithoutStoredElementKeepsTheWrite) {
  EXPECT_EQ(
      merged(R"({"status":"current"})", R"({"content":[{"a":"placeholder"}]})", keep({"content"})),
      R"({"content":[{"a":"placeholder"}]})");
}

TEST(RecordMergeTest, KeepStoredTakesBothHalvesOfAPrimitive) {
  // Stored value, absent in the write (data-absent-reason): the value comes
  // back and the write's extension goes, so the two never contradict.
  EXPECT_EQ(merged(R"({"start":"2026-01-01T10:00:00Z"})",
                   R"({"_start":{"extension":[{"url":"dar"}]}})", keep({"start"})),
            R"({"start":"2026-01-01T10:00:00Z"})");
  // Stored absent too: the write's half stands.
  EXPECT_EQ(merged(R"({"status":"booked"})", R"({"_start":{"extension":[{"url":"dar"}]}})",
                   keep({"start"})),
            R"({"_start":{"extension":[{"url":"dar"}]}})");
}

TEST(RecordMergeTest, MergeByReplacesInPlaceAndAppendsNewItems) {
  EXPECT_EQ(merged(R"({"p":[{"actor":{"reference":"a"},"s":"accepted"},)"
                   R"({"actor":{"reference":"b"},"s":"accepted"},)"
                   R"({"actor":{"reference":"c"},"s":"accepted"}]})",
                   R"({"p":[{"actor":{"reference":"d"},"s":"accepted"},)"
                   R"({"actor":{"reference":"b"},"s":"declined"}]})",
                   by("p", "actor.reference")),
            R"({"p":[{"actor":{"reference":"a"},"s":"accepted"},)"
            R"({"actor":{"reference":"b"},"s":"declined"},)"
            R"({"actor":{"reference":"c"},"s":"accepted"},)"
            R"({"actor":{"reference":"d"},"s":"accepted"}]})");
}

TEST(RecordMergeTest, MergeByIsIdempotent) {
  const std::string stored = R"({"p":[{"k":"a"},{"k":"b","v":1}]})";
  const std::string write = R"({"p":[{"k":"b","v":2}]})";
  const std::string once = merged(stored, write, by("p", "k"));
  EXPECT_EQ(once, R"({"p":[{"k":"a"},{"k":"b","v":2}]})");
  EXPECT_EQ(merged(once, write, by("p", "k")), once);
}

TEST(RecordMergeTest, ItemsWithoutTheKey) {
  // Stored items without the key are dropped; the write's are kept, in place
  // among the write's new items. A key that is not a string is no key.
  EXPECT_EQ(
      merged(R"({"p":[{"x":1},{"k":"a"},{"k":5}]})", R"({"p":[{"y":2},{"k":"b"}]})", by("p", "k")),
      R"({"p":[{"k":"a"},{"y":2},{"k":"b"}]})");
  // A path through something that is not an object.
  EXPECT_EQ(merged(R"({"p":[{"k":"a"}]})", R"({"p":[{"k":"a"}]})", by("p", "k.deeper")),
            R"({"p":[{"k":"a"}]})");
}

TEST(RecordMergeTest, EmptyKeyPathUnitesDistinctItems) {
  const std::string once = merged(R"({"c":[{"a":{"d":"x"}},{"a":{"u":"y"}}]})",
                                  R"({"c":[{"a":{"d":"n"}},{"a":{"d":"x"}}]})", by("c", ""));
  EXPECT_EQ(once, R"({"c":[{"a":{"d":"x"}},{"a":{"u":"y"}},{"a":{"d":"n"}}]})");
  EXPECT_EQ(merged(once, R"({"c":[{"a":{"d":"n"}}]})", by("c", "")), once);
}

TEST(RecordMergeTest, RepeatedKeys) {
  // The write's items with one key take the place of the first stored item
  // with it, in the write's order; later stored items with it are dropped.
  EXPECT_EQ(merged(R"({"p":[{"k":"a","v":1},{"k":"b"},{"k":"a","v":2}]})",
                   R"({"p":[{"k":"a","v":3},{"k":"a","v":4}]})", by("p", "k")),
            R"({"p":[{"k":"a","v":3},{"k":"a","v":4},{"k":"b"}]})");
  // Stored duplicates the write does not name stay.
  EXPECT_EQ(
      merged(R"({"p":[{"k":"a","v":1},{"k":"a","v":2}]})", R"({"p":[{"k":"b"}]})", by("p", "k")),
      R"({"p":[{"k":"a","v":1},{"k":"a","v":2},{"k":"b"}]})");
}

TEST(RecordMergeTest, MissingOrNonArrayElements) {
  // The write lacks the element: the stored one is kept.
  EXPECT_EQ(merged(R"({"p":[{"k":"a"}]})", R"({"s":1})", by("p", "k")),
            R"({"p":[{"k":"a"}],"s":1})");
  // Not stored: the write's stands.
  EXPECT_EQ(merged(R"({"s":1})", R"({"p":[{"k":"a"}]})", by("p", "k")), R"({"p":[{"k":"a"}]})");
  // Either side not an array: the write's value stands.
  EXPECT_EQ(merged(R"({"p":"text"})", R"({"p":[{"k":"a"}]})", by("p", "k")),
            R"({"p":[{"k":"a"}]})");
  EXPECT_EQ(merged(R"({"p":[{"k":"a"}]})", R"({"p":{"k":"b"}})", by("p", "k")),
            R"({"p":{"k":"b"}})");
  // Items that are not objects have no key.
  EXPECT_EQ(merged(R"({"p":["x",{"k":"a"}]})", R"({"p":[7]})", by("p", "k")),
            R"({"p":[{"k":"a"},7]})");
  // Documents that are not objects: the write as given.
  EXPECT_EQ(merged(R"([1])", R"({"p":[1]})", by("p", "k")), R"({"p":[1]})");
}

TEST(RecordMergeTest, NumbersKeepTheirTextAndOutputIsCanonical) {
  EXPECT_EQ(merged(R"({"b":1.50,"a":[{"k":"x","n":1E2}]})", R"({"c":true})", by("a", "k")),
            R"({"a":[{"k":"x","n":1E2}],"c":true})");
}

TEST(RecordMergeTest, LargeStoredStringsAreNotRefused) {
  // Above the network parser's 4 MiB string limit: the store wrote it.
  const std::string big(5u << 20, 'A');
  const std::string stored = R"({"content":[{"data":")" + big + R"("}]})";
  EXPECT_EQ(merged(stored, R"({"content":[{"x":1}]})", keep({"content"})), stored);
}

MergeRules labels() {
  MergeRules r;
  r.keep_stored_labels = true;
  return r;
}

TEST(RecordMergeTest, KeepStoredLabelsUnitesSecurityLabels) {
  // Sorted by (system, code), each pair once; the write's Coding wins a tie.
  EXPECT_EQ(
      merged(R"({"meta":{"security":[{"code":"V","system":"c"},{"code":"HIV","system":"a"}]}})",
             R"({"meta":{"security":[{"code":"PSY","system":"a"},)"
             R"({"code":"V","display":"d","system":"c"}]},"s":1})",
             labels()),
      R"({"meta":{"security":[{"code":"HIV","system":"a"},{"code":"PSY","system":"a"},)"
      R"({"code":"V","display":"d","system":"c"}]},"s":1})");
  // The write has no meta, or a meta without security: the stored labels come in.
  EXPECT_EQ(
      merged(R"({"meta":{"security":[{"code":"R","system":"c"}]},"s":1})", R"({"s":2})", labels()),
      R"({"meta":{"security":[{"code":"R","system":"c"}]},"s":2})");
  EXPECT_EQ(merged(R"({"meta":{"security":[{"code":"R","system":"c"}]}})",
                   R"({"meta":{"tag":[{"code":"t"}]}})", labels()),
            R"({"meta":{"security":[{"code":"R","system":"c"}],"tag":[{"code":"t"}]}})");
  // Nothing stored: the write as given. Other stored meta is not taken.
  EXPECT_EQ(merged(R"({"meta":{"tag":[{"code":"t"}]},"s":1})", R"({"s":2})", labels()),
            R"({"s":2})");
}

TEST(RecordMergeTest, KeepStoredLabelsIsIdempotentAndSkipsOddShapes) {
  const std::string stored = R"({"meta":{"security":[{"code":"V","system":"c"},"odd",{"x":1}]}})";
  const std::string once = merged(stored, R"({"s":1})", labels());
  // Items that are not Codings with a code cannot be matched: not carried over.
  EXPECT_EQ(once, R"({"meta":{"security":[{"code":"V","system":"c"}]},"s":1})");
  EXPECT_EQ(merged(once, R"({"s":1})", labels()), once);
  // A write whose meta.security is not an array keeps it as written.
  EXPECT_EQ(merged(stored, R"({"meta":{"security":7}})", labels()), R"({"meta":{"security":7}})");
}

TEST(RecordMergeTest, UnreadableDocumentsAreErrorsWithoutContent) {
  auto bad_stored = merge_record(R"({"secret-name":)", R"({})", keep({"a"}));
  ASSERT_FALSE(bad_stored.ok());
  EXPECT_EQ(bad_stored.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(bad_stored.status().message().find("secret"), std::string::npos);
  auto bad_write = merge_record(R"({})", "", keep({"a"}));
  ASSERT_FALSE(bad_write.ok());
  EXPECT_EQ(bad_write.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace gw::store::internal
