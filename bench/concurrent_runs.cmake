# bench_concurrent_runs: `naos run` of a trivial agent from 1, 8 and 32
# concurrent processes on one project, beside as many plain sqlite3 processes
# each inserting one row (bench/concurrent_runs.cc).
add_executable(bench_concurrent_runs ${CMAKE_CURRENT_LIST_DIR}/concurrent_runs.cc)
target_compile_options(bench_concurrent_runs PRIVATE ${naos_warnings})
target_link_libraries(bench_concurrent_runs PRIVATE nlohmann_json::nlohmann_json pthread)
target_compile_definitions(bench_concurrent_runs PRIVATE
  NAOS_BENCH_NAOS="$<TARGET_FILE:naos>"
  NAOS_BENCH_AGENT="${NAOS_AGENT_DIR}/trivial.wasm")
add_dependencies(bench_concurrent_runs naos)
if(TARGET naos_agent_trivial)
  add_dependencies(bench_concurrent_runs naos_agent_trivial)
endif()
