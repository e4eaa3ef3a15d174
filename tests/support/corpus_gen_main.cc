// corpus_gen: writes messages of the seeded generator (corpus_generator.h).
//
//   corpus_gen --seed S --messages N --out FILE|DIR [--first I] [--patients P]
//
// FILE: every message in one file, segments ended by '\r', each message
// followed by '\n' (what `gatewayctl send` and split_messages read).
// DIR (an existing directory, or a path ending in '/'): one file per message,
// <index>_<type>.hl7. The same arguments always give byte-identical output.
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/support/corpus_generator.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: corpus_gen --seed S --messages N --out FILE|DIR [--first I] "
               "[--patients P]\n");
  return 2;
}

bool parse_u64(const char* text, uint64_t* out) {
  char* end = nullptr;
  if (text == nullptr || *text == '\0' || *text == '-') return false;
  *out = std::strtoull(text, &end, 10);
  return *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = 1, messages = 0, first = 0, patients = 200000;
  std::string out;
  bool have_messages = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    bool ok = true;
    if (a == "--seed") {
      ok = parse_u64(v, &seed);
    } else if (a == "--messages") {
      ok = parse_u64(v, &messages);
      have_messages = ok;
    } else if (a == "--first") {
      ok = parse_u64(v, &first);
    } else if (a == "--patients") {
      ok = parse_u64(v, &patients) && patients > 0 && patients <= 0xffffffffULL;
    } else if (a == "--out" && v != nullptr) {
      out = v;
    } else {
      return usage();
    }
    if (!ok) {
      std::fprintf(stderr, "corpus_gen: bad value for %s\n", a.c_str());
      return 2;
    }
    ++i;
  }
  if (!have_messages || out.empty()) return usage();
  gw::testing::CorpusOptions options;
  options.seed = seed;
  options.patients = static_cast<uint32_t>(patients);
  const gw::testing::CorpusGenerator gen(options);
  struct stat st {};
  const bool dir = out.back() == '/' || (::stat(out.c_str(), &st) == 0 && S_ISDIR(st.st_mode));
  if (dir) ::mkdir(out.c_str(), 0755);
  std::ofstream file;
  if (!dir) file.open(out, std::ios::binary | std::ios::trunc);
  for (uint64_t i = first; i < first + messages; ++i) {
    const std::string m = gen.message(i);
    if (dir) {
      std::string type = gen.type(i);
      type[3] = '_';
      char name[64];
      std::snprintf(name, sizeof name, "/%09llu_%s.hl7", static_cast<unsigned long long>(i),
                    type.c_str());
      std::ofstream one(out + name, std::ios::binary | std::ios::trunc);
      one << m;
      if (!one) {
        std::fprintf(stderr, "corpus_gen: cannot write %s%s\n", out.c_str(), name);
        return 1;
      }
    } else {
      file << m << '\n';
    }
  }
  if (!dir && !file.flush()) {
    std::fprintf(stderr, "corpus_gen: cannot write %s\n", out.c_str());
    return 1;
  }
  return 0;
}
