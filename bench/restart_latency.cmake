# bench_restart_latency: a crashed child back to running under a naos
# supervisor (real sandbox instance per restart); bench/restart_latency.sh
# runs it beside the same loop under Erlang/OTP.
add_executable(bench_restart_latency ${CMAKE_CURRENT_LIST_DIR}/restart_latency.cc)
target_compile_options(bench_restart_latency PRIVATE ${naos_warnings})
target_link_libraries(bench_restart_latency PRIVATE naos_core)
target_compile_definitions(bench_restart_latency PRIVATE NAOS_BENCH_AGENT_DIR="${NAOS_AGENT_DIR}")
foreach(agent IN ITEMS crasher actor)
  if(TARGET naos_agent_${agent})
    add_dependencies(bench_restart_latency naos_agent_${agent})
  endif()
endforeach()
