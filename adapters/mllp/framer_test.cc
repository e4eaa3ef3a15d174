#include "adapters/mllp/framer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace gw::mllp {
namespace {

// Records every event; "O:" marks an oversized head.
struct Recorder {
  std::vector<std::string> events;
  void on_frame(std::string&& p) { events.push_back("F:" + p); }
  void on_oversized(std::string&& head) { events.push_back("O:" + head); }
};

// Stops after each event.
struct OneAtATime {
  std::vector<std::string> events;
  bool on_frame(std::string&& p) {
    events.push_back("F:" + p);
    return false;
  }
  bool on_oversized(std::string&& head) {
    events.push_back("O:" + head);
    return false;
  }
};

std::vector<std::string> feed_all(std::string_view in, size_t max, uint64_t* skipped = nullptr) {
  Framer f(max);
  Recorder r;
  EXPECT_EQ(f.feed(in, r), in.size());
  if (skipped) *skipped = f.bytes_skipped();
  return r.events;
}

const std::string kS(1, kStartBlock);
const std::string kE = std::string(1, kEndBlock) + std::string(1, kCarriageReturn);

TEST(FrameTest, WrapsPayload) {
  EXPECT_EQ(frame("MSH|x"), kS + "MSH|x" + kE);
  EXPECT_EQ(frame(""), kS + kE);
}

TEST(FramerTest, SingleFrame) {
  uint64_t skipped = 0;
  EXPECT_EQ(feed_all(frame("MSH|^~\\&|A"), 100, &skipped),
            std::vector<std::string>{"F:MSH|^~\\&|A"});
  EXPECT_EQ(skipped, 0u);
}

TEST(FramerTest, EmptyFrame) { EXPECT_EQ(feed_all(kS + kE, 100), std::vector<std::string>{"F:"}); }

TEST(FramerTest, SplitAtEveryByteBoundary) {
  const std::string in = "junk" + frame("first\rPID|1") + "\r\n" + frame("") + frame("third");
  const std::vector<std::string> want = {"F:first\rPID|1", "F:", "F:third"};
  for (size_t cut = 0; cut <= in.size(); ++cut) {
    Framer f(100);
    Recorder r;
    f.feed(std::string_view(in).substr(0, cut), r);
    f.feed(std::string_view(in).substr(cut), r);
    EXPECT_EQ(r.events, want) << "cut at " << cut;
    EXPECT_EQ(f.bytes_skipped(), 6u);
    EXPECT_FALSE(f.in_frame());
  }
  // And one byte at a time.
  Framer f(100);
  Recorder r;
  for (char c : in) f.feed(std::string_view(&c, 1), r);
  EXPECT_EQ(r.events, want);
}

TEST(FramerTest, ManyFramesInOneRead) {
  std::string in;
  for (int i = 0; i < 1000; ++i) in += frame("MSH|" + std::to_string(i));
  auto events = feed_all(in, 100);
  ASSERT_EQ(events.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(events[i], "F:MSH|" + std::to_string(i));
}

TEST(FramerTest, GarbageBeforeStartIsSkippedAndCounted) {
  uint64_t skipped = 0;
  auto events = feed_all("abc" + frame("one") + "\r\nxy" + frame("two") + "tail", 100, &skipped);
  EXPECT_EQ(events, (std::vector<std::string>{"F:one", "F:two"}));
  EXPECT_EQ(skipped, 3u + 4u + 4u);
}

TEST(FramerTest, EndByteWithoutCarriageReturnIsPayload) {
  EXPECT_EQ(feed_all(kS +
                         "a\x1c"
                         "b" +
                         kE,
                     100),
            std::vector<std::string>{"F:a\x1c"
                                     "b"});
  EXPECT_EQ(feed_all(kS + "a\x1c\x1c\r", 100), std::vector<std::string>{"F:a\x1c"});
  EXPECT_EQ(feed_all(kS + "\x1c\x1c\x1c" + kE, 100), std::vector<std::string>{"F:\x1c\x1c\x1c"});
}

TEST(FramerTest, StartByteInsideFrameRestartsIt) {
  uint64_t skipped = 0;
  EXPECT_EQ(feed_all(kS + "ab" + kS + "cd" + kE, 100, &skipped), std::vector<std::string>{"F:cd"});
  EXPECT_EQ(skipped, 3u);  // the first start byte and "ab"
  EXPECT_EQ(feed_all(kS + "ab\x1c" + kS + "cd" + kE, 100, &skipped),
            std::vector<std::string>{"F:cd"});
  EXPECT_EQ(skipped, 4u);  // start byte, "ab", 0x1C
}

TEST(FramerTest, FrameOfExactlyMaxBytesIsAccepted) {
  const std::string payload(50, 'x');
  EXPECT_EQ(feed_all(frame(payload), 50), std::vector<std::string>{"F:" + payload});
  EXPECT_EQ(feed_all(frame(payload + "y"), 50), std::vector<std::string>{"O:" + (payload + "y")});
}

TEST(FramerTest, OversizedReportsHeadDiscardsAndResyncs) {
  std::string big;
  for (int i = 0; big.size() < 20000; ++i) big += "OBX|" + std::to_string(i) + "|\r";
  const std::string in = frame(big) + "zz" + frame("next");
  const std::vector<std::string> want = {"O:" + big.substr(0, Framer::kOversizedHeadBytes),
                                         "F:next"};
  uint64_t skipped = 0;
  EXPECT_EQ(feed_all(in, 8192, &skipped), want);
  EXPECT_EQ(skipped, 2u);
  for (size_t chunk : {1u, 7u, 100u, 4096u, 5000u}) {
    Framer f(8192);
    Recorder r;
    for (size_t i = 0; i < in.size(); i += chunk) {
      f.feed(std::string_view(in).substr(i, chunk), r);
      EXPECT_LE(f.buffered_bytes(), 8192u);
    }
    EXPECT_EQ(r.events, want) << "chunk " << chunk;
  }
}

TEST(FramerTest, OversizedHeadIsLimitPlusOneWhenLimitIsSmall) {
  EXPECT_EQ(feed_all(frame("0123456789abcdef") + frame("ok"), 10),
            (std::vector<std::string>{"O:0123456789a", "F:ok"}));
}

TEST(FramerTest, StartByteResyncsWhileDiscardingOversizedFrame) {
  // The oversized frame never ends; the next frame's start byte recovers.
  EXPECT_EQ(feed_all(kS + std::string(100, 'x') + frame("ok"), 10),
            (std::vector<std::string>{"O:" + std::string(11, 'x'), "F:ok"}));
  // 0x1C inside the discarded part, not followed by 0x0D.
  EXPECT_EQ(feed_all(kS + std::string(20, 'x') +
                         "\x1c"
                         "yy\x1c\x1c" +
                         kE + frame("ok"),
                     10),
            (std::vector<std::string>{"O:" + std::string(11, 'x'), "F:ok"}));
}

TEST(FramerTest, UnterminatedFrameBufferIsBounded) {
  Framer f(1000);
  Recorder r;
  f.feed(kS, r);
  std::string chunk(333, 'a');
  for (int i = 0; i < 100; ++i) {
    f.feed(chunk, r);
    EXPECT_LE(f.buffered_bytes(), 1000u);
  }
  EXPECT_EQ(r.events.size(), 1u);
  EXPECT_TRUE(f.in_frame());
}

TEST(FramerTest, VisitorReturningFalseStopsAfterEachEvent) {
  const std::string in = frame("a") + frame("b") + "x" + frame(std::string(20, 'c')) + frame("d");
  Framer f(10);
  OneAtATime v;
  size_t off = 0;
  int calls = 0;
  while (off < in.size()) {
    off += f.feed(std::string_view(in).substr(off), v);
    ++calls;
  }
  EXPECT_EQ(v.events, (std::vector<std::string>{"F:a", "F:b", "O:" + std::string(11, 'c'), "F:d"}));
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(f.bytes_skipped(), 1u);
}

// Byte-at-a-time reference model of the framing rules.
std::vector<std::string> reference(std::string_view in, size_t max, uint64_t* skipped) {
  enum { kIdle, kPayload, kSawEnd, kDiscard, kDiscardSawEnd } st = kIdle;
  std::vector<std::string> ev;
  std::string buf;
  *skipped = 0;
  const size_t head = std::min(Framer::kOversizedHeadBytes, max + 1);
  auto add = [&](char c) {
    buf.push_back(c);
    if (buf.size() > max) {
      ev.push_back("O:" + buf.substr(0, head));
      buf.clear();
      st = kDiscard;
    }
  };
  for (char c : in) {
    switch (st) {
      case kIdle:
        if (c == kStartBlock) {
          st = kPayload;
          buf.clear();
        } else {
          ++*skipped;
        }
        break;
      case kPayload:
        if (c == kStartBlock) {
          *skipped += buf.size() + 1;
          buf.clear();
        } else if (c == kEndBlock) {
          st = kSawEnd;
        } else {
          add(c);
        }
        break;
      case kSawEnd:
        if (c == kCarriageReturn) {
          ev.push_back("F:" + buf);
          st = kIdle;
        } else if (c == kStartBlock) {
          *skipped += buf.size() + 2;
          buf.clear();
          st = kPayload;
        } else {
          st = kPayload;
          add(kEndBlock);
          if (st == kDiscard) {
            if (c == kEndBlock) st = kDiscardSawEnd;
          } else if (c == kEndBlock) {
            st = kSawEnd;
          } else {
            add(c);
          }
        }
        break;
      case kDiscard:
      case kDiscardSawEnd:
        if (c == kStartBlock) {
          buf.clear();
          st = kPayload;
        } else if (c == kEndBlock) {
          st = kDiscardSawEnd;
        } else if (c == kCarriageReturn && st == kDiscardSawEnd) {
          st = kIdle;
        } else {
          st = kDiscard;
        }
        break;
    }
  }
  return ev;
}

TEST(FramerTest, MatchesReferenceModelOnRandomInputAndSplits) {
  std::mt19937 rng(12345);
  const char alphabet[] = {kStartBlock, kEndBlock, kCarriageReturn, 'a', 'b'};
  for (int round = 0; round < 3000; ++round) {
    std::string in(rng() % 200, '\0');
    for (char& c : in) c = alphabet[rng() % sizeof alphabet];
    size_t max = 1 + rng() % 20;
    uint64_t want_skipped = 0;
    auto want = reference(in, max, &want_skipped);
    Framer f(max);
    Recorder r;
    for (size_t off = 0; off < in.size();) {
      size_t n = std::min<size_t>(in.size() - off, 1 + rng() % 16);
      f.feed(std::string_view(in).substr(off, n), r);
      off += n;
    }
    ASSERT_EQ(r.events, want) << "round " << round;
    ASSERT_EQ(f.bytes_skipped(), want_skipped) << "round " << round;
  }
}

}  // namespace
}  // namespace gw::mllp
