# Sanitizer builds, selected with -DONVM_SANITIZE=...:
#
#   address  AddressSanitizer (with LeakSanitizer) + UndefinedBehaviorSanitizer.
#            -fno-sanitize-recover=all makes every UBSan report abort the
#            process, so a report fails the test that triggered it.
#   thread   ThreadSanitizer.
#   (empty)  no sanitizer (the default).
#
# The flags apply to every target of the build (our code and the generated
# protobuf code); third-party libraries come from Debian and are not
# instrumented. Use a build directory of its own per sanitizer
# (scripts/sanitize.sh: build-asan, build-tsan).
set(ONVM_SANITIZE "" CACHE STRING "Sanitizer build: address (ASan+UBSan), thread (TSan) or empty")
set_property(CACHE ONVM_SANITIZE PROPERTY STRINGS "" address thread)

# onvm_uninstrumented_driver(TARGET): compiles TARGET's own sources without
# the ASan/UBSan instrumentation (it still links the runtime, and every
# library it links stays instrumented). For the drivers of integration
# tests only: what they test (engine, agent, NFs, onvmctl) runs as separate,
# instrumented processes, and the drivers' own code is most of the ASan
# build's compile time. A no-op in every other build.
function(onvm_uninstrumented_driver target)
  if(NOT ONVM_SANITIZE STREQUAL "address")
    return()
  endif()
  get_target_property(_options ${target} COMPILE_OPTIONS)
  list(REMOVE_ITEM _options -fsanitize=address,undefined -fno-sanitize-recover=all)
  set_target_properties(${target} PROPERTIES COMPILE_OPTIONS "${_options}")
endfunction()

if(ONVM_SANITIZE STREQUAL "")
  return()
endif()

if(ONVM_SANITIZE STREQUAL "address")
  set(_onvm_sanitize_flags
    -fsanitize=address,undefined
    -fno-sanitize-recover=all
    -fno-omit-frame-pointer)
elseif(ONVM_SANITIZE STREQUAL "thread")
  # The C++ libraries we link (protobuf, gRPC, abseil, from Debian) are not
  # built with TSan, and their headers change class layouts when they see
  # __SANITIZE_THREAD__: protobuf's MapFieldBase gains two members, so
  # inline code compiled here and the library disagree about every map
  # field (a crash in the first test that parses one). -U__SANITIZE_THREAD__
  # keeps the headers in step with the libraries as built; every translation
  # unit of ours is still instrumented. _GLIBCXX_TSAN keeps libstdc++'s
  # TSan-friendly shared_ptr release path, which only that macro selects.
  set(_onvm_sanitize_flags
    -fsanitize=thread
    -fno-omit-frame-pointer)
  set(_onvm_sanitize_compile_only
    -U__SANITIZE_THREAD__
    -D_GLIBCXX_TSAN=1)
else()
  message(FATAL_ERROR "ONVM_SANITIZE=${ONVM_SANITIZE}: want address, thread or empty")
endif()

if(ONVM_FUZZ)
  message(FATAL_ERROR "ONVM_FUZZ brings its own sanitizers (address, undefined); leave ONVM_SANITIZE empty")
endif()

message(STATUS "onvm: sanitizer build (${ONVM_SANITIZE}): ${_onvm_sanitize_flags}")
add_compile_options(${_onvm_sanitize_flags} ${_onvm_sanitize_compile_only})
add_link_options(${_onvm_sanitize_flags})
# Tells code and tests which sanitizer they run under (e.g. to scale timeouts).
add_compile_definitions(ONVM_SANITIZE_${ONVM_SANITIZE}=1)

if(ONVM_SANITIZE STREQUAL "thread")
  # libonvm_tsan_absl.so: tells TSan what abseil's (uninstrumented) Mutex
  # and CondVar do; scripts/sanitize.sh thread preloads it. It must itself
  # stay uninstrumented (it is preloaded into the engine and NFs of the
  # normal build too), so the sanitizer flags above are taken off it.
  # See tsan/absl_mutex_annotations.cc.
  add_library(onvm_tsan_absl SHARED ${CMAKE_CURRENT_LIST_DIR}/tsan/absl_mutex_annotations.cc)
  set_target_properties(onvm_tsan_absl PROPERTIES
    COMPILE_OPTIONS "-Wall;-Wextra"
    COMPILE_DEFINITIONS ""
    LINK_OPTIONS "")
  target_link_libraries(onvm_tsan_absl PRIVATE ${CMAKE_DL_LIBS})
endif()
