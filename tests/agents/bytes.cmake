# bytes_echo and bytes_guest: arbitrary bytes through naos, and bytes that
# are not UTF-8 handed to host functions (tests/bytes_test.cc).
naos_add_c_agent(bytes_echo SOURCES bytes_echo.c)
naos_add_c_agent(bytes_guest SOURCES bytes_guest.c)
