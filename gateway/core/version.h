#pragma once
namespace gw::core {
inline constexpr const char* kVersion = "0.1.0";
}
