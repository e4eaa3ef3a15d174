// Compiles the precompiled header every test binary reuses (gw_add_gtest in
// the root CMakeLists.txt); CMake needs a source file to build it from.
