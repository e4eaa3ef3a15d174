#include "adapters/mllp/fd_limit.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace gw::mllp {

bool raise_fd_limit(size_t wanted, std::string* error) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    if (error) *error = std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno);
    return false;
  }
  const rlim_t want = static_cast<rlim_t>(wanted);
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < want) {
    rlimit next = lim;
    next.rlim_cur = (lim.rlim_max == RLIM_INFINITY || lim.rlim_max >= want) ? want : lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &next) != 0) {
      if (error) *error = std::string("setrlimit(RLIMIT_NOFILE): ") + std::strerror(errno);
      return false;
    }
    lim = next;
  }
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < want) {
    if (error) {
      *error = "RLIMIT_NOFILE hard limit " + std::to_string(lim.rlim_max) + " is below the " +
               std::to_string(wanted) + " descriptors wanted";
    }
    return false;
  }
  return true;
}

}  // namespace gw::mllp
