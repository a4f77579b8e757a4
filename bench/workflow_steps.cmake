# bench_workflow_steps: durable workflow steps per second through naos::Naos,
# beside the agent runs alone, the journal alone, and raw SQLite (one
# transaction per step). See bench/README.md.
add_executable(bench_workflow_steps ${CMAKE_CURRENT_LIST_DIR}/workflow_steps.cc)
target_compile_options(bench_workflow_steps PRIVATE ${naos_warnings})
target_link_libraries(bench_workflow_steps PRIVATE naos_core)
target_compile_definitions(bench_workflow_steps PRIVATE NAOS_BENCH_ACTOR="${NAOS_AGENT_DIR}/actor.wasm")
if(TARGET naos_agent_actor)
  add_dependencies(bench_workflow_steps naos_agent_actor)
endif()
