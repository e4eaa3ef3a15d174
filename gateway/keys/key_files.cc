#include "gateway/keys/key_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gw::keys {
namespace {

std::string errno_text() { return std::strerror(errno); }

bool write_all(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

void fsync_parent_dir(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  int dfd = ::open(dir.empty() ? "/" : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace

Result<std::string> ensure_keys_dir(const std::string& state_dir) {
  if (::mkdir(state_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return unavailable_error("cannot create state directory " + state_dir + ": " + errno_text());
  }
  std::string keys_dir = state_dir + "/keys";
  if (::mkdir(keys_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return unavailable_error("cannot create " + keys_dir + ": " + errno_text());
  }
  struct stat st {};
  if (::stat(keys_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return failed_precondition_error(keys_dir + " is not a directory");
  }
  if ((st.st_mode & 077) != 0 && ::chmod(keys_dir.c_str(), 0700) != 0) {
    return unavailable_error("cannot restrict " + keys_dir + " to its owner: " + errno_text());
  }
  return keys_dir;
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Status write_file_atomically(const std::string& path, std::span<const uint8_t> bytes) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return unavailable_error("cannot write " + tmp + ": " + errno_text());
  bool ok = write_all(fd, bytes.data(), bytes.size()) && ::fsync(fd) == 0;
  std::string why = ok ? "" : errno_text();
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    Status error =
        unavailable_error("cannot write " + path + ": " + (why.empty() ? errno_text() : why));
    ::unlink(tmp.c_str());
    return error;
  }
  fsync_parent_dir(path);
  return ok_status();
}

Status create_file_atomically(const std::string& path, std::span<const uint8_t> bytes) {
  if (file_exists(path)) return already_exists_error(path + " exists: it is never replaced");
  // A temporary of our own (two creators never share one), then link(2),
  // which fails rather than replace an existing name.
  std::string tmp = path + ".XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return unavailable_error("cannot write " + path + ": " + errno_text());
  bool ok =
      ::fchmod(fd, 0600) == 0 && write_all(fd, bytes.data(), bytes.size()) && ::fsync(fd) == 0;
  std::string why = ok ? "" : errno_text();
  ::close(fd);
  Status result = ok_status();
  if (!ok) {
    result = unavailable_error("cannot write " + path + ": " + why);
  } else if (::link(tmp.c_str(), path.c_str()) != 0) {
    result = errno == EEXIST ? already_exists_error(path + " exists: it is never replaced")
                             : unavailable_error("cannot write " + path + ": " + errno_text());
  }
  ::unlink(tmp.c_str());
  if (result.ok()) fsync_parent_dir(path);
  return result;
}

Result<std::vector<uint8_t>> read_small_file(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return not_found_error(path + ": no such file");
    return unavailable_error(path + ": " + errno_text());
  }
  std::vector<uint8_t> out;
  uint8_t buf[4096];
  while (true) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      Status error = unavailable_error(path + ": " + errno_text());
      ::close(fd);
      return error;
    }
    if (r == 0) break;
    if (out.size() + static_cast<size_t>(r) > max_bytes) {
      ::close(fd);
      return invalid_argument_error(path + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
    out.insert(out.end(), buf, buf + r);
  }
  ::close(fd);
  return out;
}

}  // namespace gw::keys
