# bench_api_server: `naos serve` under load (GET, POST runs, 100 SSE clients
# on a 10,000-event burst) beside the same work through the CLI
# (bench/api_server.cc).
add_executable(bench_api_server ${CMAKE_CURRENT_LIST_DIR}/api_server.cc)
target_compile_options(bench_api_server PRIVATE ${naos_warnings})
target_link_libraries(bench_api_server PRIVATE naos_core PkgConfig::HTTPLIB pthread)
target_compile_definitions(bench_api_server PRIVATE
  NAOS_BENCH_NAOS="$<TARGET_FILE:naos>"
  NAOS_BENCH_AGENT="${NAOS_AGENT_DIR}/trivial.wasm")
add_dependencies(bench_api_server naos)
if(TARGET naos_agent_trivial)
  add_dependencies(bench_api_server naos_agent_trivial)
endif()
