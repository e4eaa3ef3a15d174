#include "adapters/mllp/fd_limit.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace gw::mllp {

gw::Status raise_fd_limit(size_t wanted) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return internal_error(std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
  }
  const rlim_t want = static_cast<rlim_t>(wanted);
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < want) {
    rlimit next = lim;
    next.rlim_cur = (lim.rlim_max == RLIM_INFINITY || lim.rlim_max >= want) ? want : lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &next) != 0) {
      return permission_denied_error(std::string("setrlimit(RLIMIT_NOFILE): ") +
                                     std::strerror(errno));
    }
    lim = next;
  }
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < want) {
    return resource_exhausted_error("RLIMIT_NOFILE hard limit " + std::to_string(lim.rlim_max) +
                                    " is below the " + std::to_string(wanted) +
                                    " descriptors wanted");
  }
  return ok_status();
}

}  // namespace gw::mllp
