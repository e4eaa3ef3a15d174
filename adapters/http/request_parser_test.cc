#include "adapters/http/request_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gw::http {
namespace {

// Feeds `in` in pieces of `step` bytes (0: at once) and records the events:
// "R:<method> <target> <body>", "C" (100-continue), "E:<status>".
std::vector<std::string> run(std::string_view in, size_t step = 0, ParserLimits limits = {}) {
  RequestParser p(limits);
  std::vector<std::string> events;
  size_t pos = 0;
  while (pos < in.size()) {
    const size_t n = step == 0 ? in.size() - pos : std::min(step, in.size() - pos);
    std::string_view piece = in.substr(pos, n);
    while (true) {
      RequestParser::Step s = p.feed(piece);
      piece.remove_prefix(s.consumed);
      if (s.event == RequestParser::Event::kRequest) {
        Request r = p.take_request();
        events.push_back("R:" + r.method + " " + r.target + " " + r.body);
      } else if (s.event == RequestParser::Event::kContinue) {
        events.push_back("C");
      } else if (s.event == RequestParser::Event::kError) {
        events.push_back("E:" + std::to_string(p.error_status()));
        return events;
      } else {
        EXPECT_TRUE(piece.empty());
        break;
      }
    }
    pos += n;
  }
  return events;
}

using V = std::vector<std::string>;

// A literal with NUL bytes in it.
template <size_t N>
std::string lit(const char (&s)[N]) {
  return std::string(s, N - 1);
}

TEST(RequestParser, SimpleGetWholeAndByteByByte) {
  const std::string in = "GET /metadata HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n";
  EXPECT_EQ(run(in), V{"R:GET /metadata "});
  EXPECT_EQ(run(in, 1), V{"R:GET /metadata "});
}

TEST(RequestParser, HeadersLowerCasedAndTrimmed) {
  RequestParser p;
  const std::string in = "GET / HTTP/1.1\r\nHOST: a\r\nX-Thing: \t v w \t\r\n\r\n";
  auto s = p.feed(in);
  ASSERT_EQ(s.event, RequestParser::Event::kRequest);
  EXPECT_EQ(s.consumed, in.size());
  Request r = p.take_request();
  ASSERT_NE(r.header("x-thing"), nullptr);
  EXPECT_EQ(*r.header("x-thing"), "v w");
  EXPECT_EQ(*r.header("host"), "a");
  EXPECT_TRUE(r.keep_alive);
}

TEST(RequestParser, PipelinedRequestsWithBodies) {
  const std::string in =
      "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
      "GET /b HTTP/1.1\r\nHost: h\r\n\r\n"
      "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n";
  const V want{"R:POST /a abc", "R:GET /b ", "R:PUT /c xy"};
  EXPECT_EQ(run(in), want);
  for (size_t step : {1, 2, 3, 7, 13}) EXPECT_EQ(run(in, step), want) << step;
}

TEST(RequestParser, ChunkedWithExtensionsAndTrailers) {
  const std::string in =
      "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "5;name=value\r\nhello\r\nA \r\n, world!!!\r\n0\r\nX-Trailer: t\r\n\r\n";
  EXPECT_EQ(run(in), V{"R:POST /x hello, world!!!"});
  EXPECT_EQ(run(in, 1), V{"R:POST /x hello, world!!!"});
}

TEST(RequestParser, LfOnlyLineEndingsAndLeadingEmptyLines) {
  EXPECT_EQ(run("\r\nGET / HTTP/1.1\nHost: h\n\n"), V{"R:GET / "});
  std::string nine(9, '\n');
  nine += "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_EQ(run(nine), V{"E:400"});
}

TEST(RequestParser, ExpectContinueOnlyWithABody) {
  EXPECT_EQ(run("POST /a HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                "Content-Length: 2\r\n\r\nok"),
            (V{"C", "R:POST /a ok"}));
  EXPECT_EQ(run("GET /a HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n"), V{"R:GET /a "});
  EXPECT_EQ(run("POST /a HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                "Content-Length: 99999999999\r\n\r\n"),
            V{"E:413"});
  EXPECT_EQ(run("POST /a HTTP/1.1\r\nHost: h\r\nExpect: something\r\n\r\n"), V{"E:417"});
}

TEST(RequestParser, BodyTooLargeRefusedAsSoonAsKnown) {
  ParserLimits l;
  l.max_body_bytes = 10;
  // Declared: refused at the head, before any body byte.
  EXPECT_EQ(run("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", 0, l), V{"E:413"});
  EXPECT_EQ(run("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", 0, l),
            V{"R:POST / 0123456789"});
  EXPECT_EQ(
      run("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 123456789012345678901234\r\n\r\n", 0, l),
      V{"E:413"});
  // Chunked: refused at the chunk that passes the limit.
  EXPECT_EQ(run("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                "6\r\nabcdef\r\n5\r\n",
                0, l),
            V{"E:413"});
  EXPECT_EQ(run("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                "ffffffffffffffffffffff\r\n",
                0, l),
            V{"E:413"});
}

TEST(RequestParser, HeadLimits) {
  ParserLimits l;
  l.max_header_bytes = 200;
  l.max_request_line = 100;
  l.max_headers = 3;
  EXPECT_EQ(run("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(300, 'a') + "\r\n\r\n", 0, l),
            V{"E:431"});
  EXPECT_EQ(run("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(300, 'a'), 1, l), V{"E:431"});
  EXPECT_EQ(run("GET /" + std::string(150, 'a'), 1, l), V{"E:414"});
  EXPECT_EQ(run("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 0, l), V{"E:431"});
  EXPECT_EQ(run("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", 0, l), V{"R:GET / "});
}

TEST(RequestParser, DefaultHeadLimitIs32KiB) {
  const std::string big = "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(33 * 1024, 'a');
  EXPECT_EQ(run(big), V{"E:431"});
  EXPECT_EQ(run(big, 4096), V{"E:431"});
}

TEST(RequestParser, RequestLine) {
  EXPECT_EQ(run("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), V{"E:505"});
  EXPECT_EQ(run("GET / HTTP/1.2\r\nHost: h\r\n\r\n"), V{"E:505"});
  EXPECT_EQ(run("GET / HTTP/1.0\r\n\r\n"), V{"R:GET / "});
  EXPECT_EQ(run("GET / HTTX/1.1\r\nHost: h\r\n\r\n"), V{"E:400"});
  EXPECT_EQ(run("GET http://x/ HTTP/1.1\r\nHost: h\r\n\r\n"), V{"E:400"});
  EXPECT_EQ(run("GET * HTTP/1.1\r\nHost: h\r\n\r\n"), V{"E:400"});
  EXPECT_EQ(run("G(T / HTTP/1.1\r\nHost: h\r\n\r\n"), V{"E:400"});
  EXPECT_EQ(run("GET  / HTTP/1.1\r\nHost: h\r\n\r\n"), V{"E:400"});
  EXPECT_EQ(run("GET / HTTP/1.1 \r\nHost: h\r\n\r\n"), V{"E:400"});
  EXPECT_EQ(run(lit("GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n")), V{"E:400"});
  EXPECT_EQ(run("GET /\x80 HTTP/1.1\r\nHost: h\r\n\r\n"), V{"E:400"});
}

TEST(RequestParser, HeaderSyntax) {
  EXPECT_EQ(run("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n"), V{"E:400"});  // obs-fold
  EXPECT_EQ(run("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), V{"E:400"});
  EXPECT_EQ(run("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n"), V{"E:400"});
  EXPECT_EQ(run("GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n"), V{"E:400"});
  EXPECT_EQ(run(lit("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n")), V{"E:400"});
  EXPECT_EQ(run("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n"), V{"E:400"});
  EXPECT_EQ(run("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01\r\n\r\n"), V{"E:400"});
  EXPECT_EQ(run("GET / HTTP/1.1\r\n\r\n"), V{"E:400"});  // no Host
  EXPECT_EQ(run("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), V{"E:400"});
}

TEST(RequestParser, SmugglingRefused) {
  const std::string h = "POST / HTTP/1.1\r\nHost: h\r\n";
  EXPECT_EQ(run(h + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"), V{"E:400"});
  EXPECT_EQ(run(h + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"), V{"E:400"});
  EXPECT_EQ(run(h + "Transfer-Encoding: gzip, chunked\r\n\r\n"), V{"E:400"});
  EXPECT_EQ(run(h + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
            V{"E:400"});
  EXPECT_EQ(run(h + "Transfer-Encoding: identity\r\n\r\n"), V{"E:400"});
  EXPECT_EQ(run(h + "Content-Length: 3\r\nContent-Length: 4\r\n\r\n"), V{"E:400"});
  EXPECT_EQ(run(h + "Content-Length: 3, 3\r\n\r\n"), V{"E:400"});
  EXPECT_EQ(run(h + "Content-Length: +3\r\n\r\n"), V{"E:400"});
  EXPECT_EQ(run(h + "Content-Length: \r\n\r\n"), V{"E:400"});
  EXPECT_EQ(run(h + "Content-Length: 3\r\nContent-Length: 003\r\n\r\nabc"), V{"R:POST / abc"});
  EXPECT_EQ(run("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), V{"E:400"});
}

TEST(RequestParser, BadChunks) {
  const std::string h = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(run(h + "x\r\n"), V{"E:400"});
  EXPECT_EQ(run(h + "3\r\nabcX"), V{"E:400"});
  EXPECT_EQ(run(h + "1" + std::string(2000, ' ')), V{"E:400"});  // chunk line too long
  EXPECT_EQ(run(h + "3 x\r\n"), V{"E:400"});
  EXPECT_EQ(run(h + "0\r\n" + std::string(40000, 'a')), V{"E:431"});  // trailers bounded
}

TEST(RequestParser, KeepAlive) {
  auto keep = [](const std::string& in) {
    RequestParser p;
    EXPECT_EQ(p.feed(in).event, RequestParser::Event::kRequest);
    return p.take_request().keep_alive;
  };
  EXPECT_TRUE(keep("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nHost: h\r\nConnection: TE, Close\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
}

TEST(RequestParser, ErrorIsFinal) {
  RequestParser p;
  EXPECT_EQ(p.feed("BAD\r\n\r\n").event, RequestParser::Event::kError);
  EXPECT_EQ(p.error_status(), 400);
  auto s = p.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(s.event, RequestParser::Event::kError);
  EXPECT_EQ(s.consumed, 0u);
}

TEST(RequestParser, PhaseReporting) {
  RequestParser p;
  EXPECT_FALSE(p.started());
  p.feed("GET / HT");
  EXPECT_TRUE(p.in_head());
  p.feed("TP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab");
  EXPECT_TRUE(p.in_body());
  EXPECT_EQ(p.feed("cd").event, RequestParser::Event::kRequest);
  EXPECT_FALSE(p.started());
}

}  // namespace
}  // namespace gw::http
