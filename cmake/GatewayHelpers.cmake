# Helpers shared by every module's CMakeLists.txt.
#
# Convention inside a module folder:
#   foo.cc          library source
#   foo_test.cc     one GoogleTest binary per file (label "unit" unless told)
#   foo_fuzz.cc     fuzz target defining LLVMFuzzerTestOneInput; seed corpus in
#                   foo_fuzz_corpus/. Always built: with GW_FUZZ it links
#                   libFuzzer, otherwise a driver that replays the corpus, so
#                   the target cannot bitrot and runs in ctest.
#   foo_bench.cc    Google Benchmark binary (only with GW_BUILD_BENCH)
#   *_main.cc       program entry points, excluded from the library

# gw_module_sources(<out-var> <dir>): library sources under <dir>.
function(gw_module_sources out dir)
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS "${dir}/*.cc")
  list(FILTER srcs EXCLUDE REGEX "(_test|_fuzz|_bench|_main)\\.cc$")
  set(${out} ${srcs} PARENT_SCOPE)
endfunction()

# gw_module_tests(<dir> LIBS <libs...> [LABEL <label>])
function(gw_module_tests dir)
  cmake_parse_arguments(A "" "LABEL" "LIBS" ${ARGN})
  if(NOT GW_BUILD_TESTS)
    return()
  endif()
  if(NOT A_LABEL)
    set(A_LABEL unit)
  endif()
  file(GLOB_RECURSE tests CONFIGURE_DEPENDS "${dir}/*_test.cc")
  foreach(t ${tests})
    get_filename_component(name ${t} NAME_WE)
    add_executable(${name} ${t})
    target_link_libraries(${name} PRIVATE ${A_LIBS} GTest::gtest GTest::gtest_main GTest::gmock Threads::Threads)
    gtest_discover_tests(${name} PROPERTIES LABELS ${A_LABEL} DISCOVERY_TIMEOUT 60)
  endforeach()
  file(GLOB_RECURSE fuzzers CONFIGURE_DEPENDS "${dir}/*_fuzz.cc")
  foreach(f ${fuzzers})
    get_filename_component(name ${f} NAME_WE)
    get_filename_component(fdir ${f} DIRECTORY)
    if(GW_FUZZ)
      add_executable(${name} ${f})
      target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
      target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    else()
      add_executable(${name} ${f} ${PROJECT_SOURCE_DIR}/tests/support/fuzz_replay_main.cc)
    endif()
    target_link_libraries(${name} PRIVATE ${A_LIBS})
    if(EXISTS ${fdir}/${name}_corpus)
      add_test(NAME ${name}_corpus COMMAND ${name} ${fdir}/${name}_corpus)
      set_tests_properties(${name}_corpus PROPERTIES LABELS fuzz)
    endif()
  endforeach()
endfunction()

# gw_module_benches(<dir> LIBS <libs...>)
function(gw_module_benches dir)
  cmake_parse_arguments(A "" "" "LIBS" ${ARGN})
  if(NOT GW_BUILD_BENCH)
    return()
  endif()
  file(GLOB_RECURSE benches CONFIGURE_DEPENDS "${dir}/*_bench.cc")
  foreach(b ${benches})
    get_filename_component(name ${b} NAME_WE)
    add_executable(${name} ${b})
    target_link_libraries(${name} PRIVATE ${A_LIBS} benchmark::benchmark Threads::Threads)
  endforeach()
endfunction()

# gw_component(<target> <dir> [DEPS <public libs...>] [PRIVATE_DEPS <libs...>])
# A static library from <dir>'s sources plus its tests, fuzzers and benches.
# Modules are built from components so that one part's work in progress does
# not stop the others from building; each module folder still exposes exactly
# one library target (an umbrella INTERFACE library named after the folder).
function(gw_component target dir)
  cmake_parse_arguments(A "" "" "DEPS;PRIVATE_DEPS" ${ARGN})
  gw_module_sources(srcs ${dir})
  add_library(${target} STATIC ${srcs})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${target} PUBLIC ${A_DEPS} PRIVATE ${A_PRIVATE_DEPS} Threads::Threads)
  gw_module_tests(${dir} LIBS ${target} ${A_PRIVATE_DEPS})
  gw_module_benches(${dir} LIBS ${target} ${A_PRIVATE_DEPS})
endfunction()
