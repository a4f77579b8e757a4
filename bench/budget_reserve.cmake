# bench_budget_reserve: priced calls (reserve + settle) with a budget, whose
# reservations are rows every process sees, vs the same calls with no budget
# (bench/budget_reserve.cc).
add_executable(bench_budget_reserve ${CMAKE_CURRENT_LIST_DIR}/budget_reserve.cc)
target_compile_options(bench_budget_reserve PRIVATE ${naos_warnings})
target_link_libraries(bench_budget_reserve PRIVATE naos_core)
