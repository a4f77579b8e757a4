# bench_pool_speedup: a CPU-bound agent run M times in sequence vs as M tasks
# of a clone pool with one worker per core (bench/pool_speedup.cc).
add_executable(bench_pool_speedup ${CMAKE_CURRENT_LIST_DIR}/pool_speedup.cc)
target_compile_options(bench_pool_speedup PRIVATE ${naos_warnings})
target_link_libraries(bench_pool_speedup PRIVATE naos_core)
target_compile_definitions(bench_pool_speedup PRIVATE NAOS_BENCH_ACTOR="${NAOS_AGENT_DIR}/actor.wasm")
if(TARGET naos_agent_actor)
  add_dependencies(bench_pool_speedup naos_agent_actor)
endif()
