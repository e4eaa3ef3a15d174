// Shared by the access report's tests: poppler's command-line tools on a
// rendered PDF (pdftotext -layout, pdfinfo), through a file in a test's
// temporary directory.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace gw::auditreport::testing {

// Runs `command` and returns its standard output ("" and a test failure if
// it exits non-zero).
inline std::string run_capture(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) {
    ADD_FAILURE() << "cannot run: " << command;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = pclose(p);
  if (rc != 0) ADD_FAILURE() << command << " exited with " << rc;
  return rc == 0 ? out : std::string();
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(f.good()) << path;
}

// The PDF's text as pdftotext -layout gives it (UTF-8; pages end in \f).
inline std::string pdf_text(const std::string& pdf, const std::string& path) {
  write_file(path, pdf);
  return run_capture("pdftotext -layout '" + path + "' -");
}

// pdfinfo's page count (0 if it says none).
inline int pdf_pages(const std::string& path) {
  const std::string info = run_capture("pdfinfo '" + path + "'");
  const size_t at = info.find("Pages:");
  return at == std::string::npos ? 0 : std::atoi(info.c_str() + at + 6);
}

}  // namespace gw::auditreport::testing
