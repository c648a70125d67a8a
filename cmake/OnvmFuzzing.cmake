# Fuzz targets (libFuzzer), selected with -DONVM_FUZZ=ON. Needs clang:
#
#   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DONVM_FUZZ=ON \
#     -DONVM_BUILD_TESTS=OFF && ninja -C build-fuzz onvm_fuzzers
#
# (scripts/fuzz.sh does that and runs them.) Every target of such a build is
# compiled with coverage instrumentation for libFuzzer (fuzzer-no-link) and
# with AddressSanitizer + UndefinedBehaviorSanitizer (every report aborts, so
# the fuzzer saves the input); the fuzz targets themselves link libFuzzer's
# main (-fsanitize=fuzzer). Only the fuzz targets and what they use need to
# be built from such a build directory.
option(ONVM_FUZZ "Build the libFuzzer targets in test/fuzz (clang only)" OFF)

if(NOT ONVM_FUZZ)
  return()
endif()

if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "ONVM_FUZZ needs clang (libFuzzer): configure a fresh build directory "
                      "with CC=clang CXX=clang++")
endif()

set(ONVM_FUZZ_SANITIZE_FLAGS
  -fsanitize=fuzzer-no-link,address,undefined
  -fno-sanitize-recover=all
  -fno-omit-frame-pointer)
message(STATUS "onvm: fuzzing build: ${ONVM_FUZZ_SANITIZE_FLAGS}")
add_compile_options(${ONVM_FUZZ_SANITIZE_FLAGS})
add_link_options(-fsanitize=address,undefined)
add_compile_definitions(ONVM_FUZZING=1)

# onvm_add_fuzzer(NAME SOURCES file... [LIBS lib...]) adds the libFuzzer
# executable NAME (in <build>/fuzz/) to the `onvm_fuzzers` target.
if(NOT TARGET onvm_fuzzers)
  add_custom_target(onvm_fuzzers)
endif()
function(onvm_add_fuzzer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  add_dependencies(onvm_fuzzers ${name})
endfunction()
