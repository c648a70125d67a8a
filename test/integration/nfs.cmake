# Integration tests of the SDK's example NFs (sdk/examples/), each through a
# real engine with real traffic. Included from CMakeLists.txt.
foreach(_nf firewall nat payload_scan arp_responder forward_c monitor speed_tester)
  onvm_add_integration_test(nf_${_nf}_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/nf_${_nf}_test.cc
    LIBS onvm_integration_stack onvm_common
    TIMEOUT 180)
endforeach()

# A forwarding NF that can be made slow or made to hold packets, for the
# back-pressure and NF-failure tests. Lands in build/bin with the others.
add_executable(onvm-test-nf ${CMAKE_CURRENT_LIST_DIR}/nfs/test_nf.cc)
target_link_libraries(onvm-test-nf PRIVATE onvm_sdk onvm_nf_example_flags)

onvm_add_integration_test(nf_failure_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/nf_failure_test.cc
  LIBS onvm_integration_stack onvm_common
  TIMEOUT 240)
add_dependencies(nf_failure_test onvm-test-nf)

onvm_add_integration_test(lossless_update_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/lossless_update_test.cc
  LIBS onvm_integration_stack onvm_common
  TIMEOUT 240)
add_dependencies(lossless_update_test onvm-test-nf)

# Fault injection under traffic (issue 10): several NFs, the agent and the
# engine killed; NFs dying while they register; clients hanging up mid-call;
# malformed control frames and packets.
onvm_add_integration_test(fault_injection_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fault_injection_test.cc
  LIBS onvm_integration_stack onvm_common onvm_test_grpc_std_proto
  TIMEOUT 240)
add_dependencies(fault_injection_test onvm-test-nf)

onvm_add_integration_test(lcore_roles_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/lcore_roles_test.cc
  LIBS onvm_integration_stack onvm_common
  TIMEOUT 180)
add_dependencies(lcore_roles_test onvm-test-nf)

onvm_add_integration_test(shared_core_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/shared_core_test.cc
  LIBS onvm_integration_stack onvm_common
  TIMEOUT 180)
add_dependencies(shared_core_test onvm-test-nf)

onvm_add_integration_test(nf_actions_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/nf_actions_test.cc
  LIBS onvm_integration_stack onvm_common
  TIMEOUT 180)
add_dependencies(nf_actions_test onvm-test-nf)

# The SDK tutorial (sdk/tutorial) built against the installed SDK, with
# find_package(onvm) and with pkg-config, then run through the engine.
onvm_add_integration_test(sdk_tutorial_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/sdk_tutorial_test.cc
  LIBS onvm_integration_stack onvm_common
  TIMEOUT 180)
# A sanitizer build installs instrumented libraries: the tutorial is built
# with the same flags (cmake/OnvmSanitizers.cmake).
string(JOIN " " _onvm_tutorial_flags ${_onvm_sanitize_flags} ${_onvm_sanitize_compile_only})
target_compile_definitions(sdk_tutorial_test PRIVATE ONVM_SOURCE_ROOT="${PROJECT_SOURCE_DIR}"
                                                     ONVM_BUILD_ROOT="${PROJECT_BINARY_DIR}"
                                                     ONVM_TUTORIAL_FLAGS="${_onvm_tutorial_flags}")
add_dependencies(sdk_tutorial_test onvm_sdk onvm_common onvm_proto)
