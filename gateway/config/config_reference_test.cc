// The configuration reference in image/README.md names every key the parser
// accepts, and nothing the parser would refuse: operators configure from it.
//
// The reference's format, which this test reads: under the heading
// "## Configuration reference", one "### `[TABLE]`" heading per table
// (channels as `[channel.NAME]`, mapping tables as `[channel.NAME.SUB]`),
// each followed by a table whose rows start with "| `KEY` |".
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "gateway/config/config.h"

namespace gw::config {
namespace {

std::set<std::string> documented_keys(std::string* problem) {
  std::string path = GW_SOURCE_DIR;
  path += "/image/README.md";
  std::ifstream in(path);
  if (!in) {
    *problem = "cannot read " + path;
    return {};
  }
  static const std::regex table_heading(R"(^### `\[([A-Za-z0-9_.]+)\]`)");
  // Keys are lower case but for [labels], whose keys are label codes (PSY).
  static const std::regex key_row(R"(^\| `([A-Za-z0-9_]+)` \|)");
  std::set<std::string> keys;
  bool in_reference = false;
  std::string table;
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("## ")) {
      in_reference = line == "## Configuration reference";
      table.clear();
      continue;
    }
    if (!in_reference) continue;
    std::smatch m;
    if (std::regex_search(line, m, table_heading)) {
      table = m[1];
      keys.insert(table);
    } else if (!table.empty() && std::regex_search(line, m, key_row)) {
      keys.insert(table + "." + m[1].str());
    }
  }
  if (keys.empty()) *problem = path + " has no \"## Configuration reference\" with key rows";
  return keys;
}

TEST(ConfigReferenceTest, EveryAcceptedKeyIsDocumented) {
  std::string problem;
  const std::set<std::string> documented = documented_keys(&problem);
  ASSERT_EQ(problem, "");
  const std::vector<std::string> known = known_keys();
  ASSERT_FALSE(known.empty());
  for (const std::string& key : known)
    EXPECT_TRUE(documented.contains(key))
        << key << " is accepted by the parser but missing from image/README.md's "
        << "configuration reference";
}

TEST(ConfigReferenceTest, EveryDocumentedKeyIsAccepted) {
  std::string problem;
  const std::set<std::string> documented = documented_keys(&problem);
  ASSERT_EQ(problem, "");
  std::set<std::string> known;
  for (const std::string& key : known_keys()) {
    known.insert(key);
    // A key's table is documented by its heading.
    known.insert(key.substr(0, key.rfind('.')));
  }
  for (const std::string& key : documented)
    EXPECT_TRUE(known.contains(key))
        << key << " is in image/README.md's configuration reference but the parser refuses it";
}

}  // namespace
}  // namespace gw::config
