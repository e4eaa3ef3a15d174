#include "adapters/mllp/framer.h"

namespace gw::mllp {

std::string frame(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 3);
  out.push_back(kStartBlock);
  out.append(payload);
  out.push_back(kEndBlock);
  out.push_back(kCarriageReturn);
  return out;
}

}  // namespace gw::mllp
