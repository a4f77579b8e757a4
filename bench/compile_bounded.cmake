# bench_compile_bounded: what bounding compiles costs — a cold compile of a
# small agent in this process vs in the `naos __compile-module` child, and a
# warm load of the authenticated artifact from disk (bench/compile_bounded.cc).
add_executable(bench_compile_bounded ${CMAKE_CURRENT_LIST_DIR}/compile_bounded.cc)
target_compile_options(bench_compile_bounded PRIVATE ${naos_warnings})
target_link_libraries(bench_compile_bounded PRIVATE naos_core)
target_compile_definitions(bench_compile_bounded PRIVATE
  NAOS_BENCH_ECHO="${NAOS_AGENT_DIR}/echo.wasm" NAOS_BENCH_NAOS="$<TARGET_FILE:naos>")
add_dependencies(bench_compile_bounded naos)
if(TARGET naos_agent_echo)
  add_dependencies(bench_compile_bounded naos_agent_echo)
endif()
