# pool_task: a clone pool worker that sleeps or fails as its task's input says
# (tests/pool_test.cc, tests/cli_pool_test.cc).
naos_add_c_agent(pool_task SOURCES pool_task.c)
