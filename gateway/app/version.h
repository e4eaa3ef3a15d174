#pragma once
namespace gw::app {
inline constexpr const char* kVersion = "0.1.0";
}
