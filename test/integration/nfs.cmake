# Integration tests of the SDK's example NFs (sdk/examples/), each through a
# real engine with real traffic. Included from CMakeLists.txt.
foreach(_nf firewall nat payload_scan arp_responder forward_c)
  onvm_add_integration_test(nf_${_nf}_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/nf_${_nf}_test.cc
    LIBS onvm_integration_stack onvm_common
    TIMEOUT 180)
endforeach()
