# Hostile agents for the limits of a run (tests/limits_test.cc): the deadline
# inside host calls, the log per run, forged log lines, header injection, a
# refused memory grow far below the limit, and the kv call cap.
foreach(name IN ITEMS stderr_flood log_flood log_forger memory_steps kv_flood)
  naos_add_wat_agent(${name} FILE ${name}.wat)
endforeach()
naos_add_c_agent(http_poster SOURCES http_poster.c)
