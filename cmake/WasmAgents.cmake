# WasmAgents.cmake — builds naos agents (WASI preview 1 command modules) from C,
# Go and WAT sources. Usage from the root CMakeLists.txt:
#
#   include(cmake/WasmAgents.cmake)
#   add_subdirectory(examples/agents)
#   add_subdirectory(tests/agents)
#   naos_finish_agents()          # defines the `naos_agents` target (ALL)
#
# Each agent lands in ${NAOS_AGENT_DIR}/<NAME>.wasm (default
# ${CMAKE_BINARY_DIR}/agents) and has its own target `naos_agent_<NAME>`.
# After naos_finish_agents(), NAOS_AGENT_FILES lists every .wasm path.

include_guard(GLOBAL)

if(NOT DEFINED NAOS_AGENT_DIR)
  set(NAOS_AGENT_DIR "${CMAKE_BINARY_DIR}/agents")
endif()
set_property(GLOBAL PROPERTY NAOS_AGENT_DIR "${NAOS_AGENT_DIR}")
file(MAKE_DIRECTORY "${NAOS_AGENT_DIR}")

# The repository root, found from this file so it works from any subdirectory.
get_filename_component(NAOS_REPO_DIR "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(NAOS_SDK_C_DIR "${NAOS_REPO_DIR}/sdk/c")
set(NAOS_SDK_GO_DIR "${NAOS_REPO_DIR}/sdk/go")

# --- tools -------------------------------------------------------------------

find_program(NAOS_WASM_CLANG NAMES clang clang-14 clang-15 clang-16 clang-17 clang-18
             DOC "clang able to target wasm32-wasi")
find_program(NAOS_WAT2WASM NAMES wat2wasm DOC "wat2wasm from wabt")
find_program(NAOS_GO NAMES go PATHS /usr/local/go/bin DOC "Go >= 1.21 (GOOS=wasip1)")

if(NOT NAOS_WASM_CLANG)
  message(FATAL_ERROR "naos agents: clang not found. On Debian: "
                      "apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32")
endif()
if(NOT NAOS_WAT2WASM)
  message(FATAL_ERROR "naos agents: wat2wasm not found. On Debian: apt-get install wabt")
endif()
if(NOT NAOS_GO)
  message(FATAL_ERROR "naos agents: go not found. Go >= 1.21 is needed for GOOS=wasip1 "
                      "(Debian 12's golang-go is too old); install it from go.dev/dl "
                      "or set NAOS_GO=/path/to/go")
endif()

# clang must really reach wasi-libc and the wasm32 builtins: try a tiny program once.
if(NOT NAOS_WASM_CLANG_WORKS)
  set(_probe_dir "${CMAKE_BINARY_DIR}/CMakeFiles/naos_wasm_probe")
  file(WRITE "${_probe_dir}/probe.c" "#include <stdio.h>\nint main(void){puts(\"ok\");return 0;}\n")
  execute_process(
    COMMAND "${NAOS_WASM_CLANG}" --target=wasm32-wasi -O2 "${_probe_dir}/probe.c" -o "${_probe_dir}/probe.wasm"
    RESULT_VARIABLE _probe_rc OUTPUT_VARIABLE _probe_out ERROR_VARIABLE _probe_out)
  if(NOT _probe_rc EQUAL 0)
    message(FATAL_ERROR "naos agents: ${NAOS_WASM_CLANG} cannot build wasm32-wasi programs. "
                        "On Debian: apt-get install lld wasi-libc libclang-rt-14-dev-wasm32\n"
                        "${_probe_out}")
  endif()
  set(NAOS_WASM_CLANG_WORKS TRUE CACHE INTERNAL "clang builds wasm32-wasi")
endif()

execute_process(COMMAND "${CMAKE_COMMAND}" -E env GOTOOLCHAIN=local "${NAOS_GO}" env GOVERSION
                OUTPUT_VARIABLE _go_version OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _go_rc)
string(REGEX MATCH "[0-9]+\\.[0-9]+(\\.[0-9]+)?" _go_version_num "${_go_version}")
if(NOT _go_rc EQUAL 0 OR NOT _go_version_num OR _go_version_num VERSION_LESS 1.21)
  message(FATAL_ERROR "naos agents: ${NAOS_GO} is '${_go_version}'; Go >= 1.21 is needed "
                      "for GOOS=wasip1. Install a newer Go or set NAOS_GO=/path/to/go")
endif()
message(STATUS "naos agents: clang ${NAOS_WASM_CLANG}, wat2wasm ${NAOS_WAT2WASM}, "
               "${_go_version} ${NAOS_GO} -> ${NAOS_AGENT_DIR}")

# --- registration --------------------------------------------------------------

# Checks the name, returns the output path in <out_var>, records it globally.
function(_naos_register_agent name out_var)
  if(NOT name MATCHES "^[A-Za-z0-9_-]+$")
    message(FATAL_ERROR "naos agent name '${name}': use letters, digits, '-' and '_' only")
  endif()
  get_property(_names GLOBAL PROPERTY NAOS_AGENT_NAMES)
  if(name IN_LIST _names)
    message(FATAL_ERROR "naos agent '${name}' is defined twice")
  endif()
  get_property(_dir GLOBAL PROPERTY NAOS_AGENT_DIR)
  set(_out "${_dir}/${name}.wasm")
  set_property(GLOBAL APPEND PROPERTY NAOS_AGENT_NAMES "${name}")
  set_property(GLOBAL APPEND PROPERTY NAOS_AGENT_FILES "${_out}")
  set(${out_var} "${_out}" PARENT_SCOPE)
endfunction()

# The per-agent target; the custom command and its target share a directory, as
# CMake requires, and naos_agents depends on the targets rather than the files.
function(_naos_agent_target name out)
  add_custom_target(naos_agent_${name} DEPENDS "${out}")
  set_target_properties(naos_agent_${name} PROPERTIES NAOS_AGENT_WASM "${out}")
endfunction()

# naos_add_c_agent(<name> SOURCES a.c [b.c ...] [FLAGS extra clang flags ...])
function(naos_add_c_agent name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;FLAGS")
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "naos_add_c_agent(${name}): SOURCES is required")
  endif()
  _naos_register_agent(${name} out)
  set(_sources "")
  foreach(src IN LISTS arg_SOURCES)
    get_filename_component(src "${src}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND _sources "${src}")
  endforeach()
  file(GLOB _sdk_headers CONFIGURE_DEPENDS "${NAOS_SDK_C_DIR}/*.h")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND "${NAOS_WASM_CLANG}" --target=wasm32-wasi -O2 -Wall -Wl,--strip-debug ${arg_FLAGS}
            "-I${NAOS_SDK_C_DIR}" ${_sources} -o "${out}"
    DEPENDS ${_sources} ${_sdk_headers}
    COMMENT "Building C agent ${name}.wasm"
    VERBATIM)
  _naos_agent_target(${name} "${out}")
endfunction()

# naos_add_go_agent(<name> DIR <dir with go.mod and package main>)
function(naos_add_go_agent name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "DIR" "")
  if(NOT arg_DIR)
    message(FATAL_ERROR "naos_add_go_agent(${name}): DIR is required")
  endif()
  get_filename_component(_dir "${arg_DIR}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${_dir}/go.mod")
    message(FATAL_ERROR "naos_add_go_agent(${name}): ${_dir}/go.mod not found")
  endif()
  _naos_register_agent(${name} out)
  file(GLOB_RECURSE _deps CONFIGURE_DEPENDS
       "${_dir}/*.go" "${_dir}/go.mod" "${_dir}/go.sum"
       "${NAOS_SDK_GO_DIR}/*.go" "${NAOS_SDK_GO_DIR}/go.mod")
  add_custom_command(
    OUTPUT "${out}"
    # -buildvcs=false: no git stamp (reproducible; works without git or in a
    # checkout owned by another user). GOWORK=off: ignore any go.work above.
    COMMAND "${CMAKE_COMMAND}" -E env GOOS=wasip1 GOARCH=wasm GOTOOLCHAIN=local
            "GOFLAGS=-trimpath -buildvcs=false" GOWORK=off
            "${NAOS_GO}" build -o "${out}" .
    WORKING_DIRECTORY "${_dir}"
    DEPENDS ${_deps}
    COMMENT "Building Go agent ${name}.wasm"
    VERBATIM)
  _naos_agent_target(${name} "${out}")
endfunction()

# naos_add_wat_agent(<name> FILE <x.wat>)
function(naos_add_wat_agent name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "FILE" "")
  if(NOT arg_FILE)
    message(FATAL_ERROR "naos_add_wat_agent(${name}): FILE is required")
  endif()
  get_filename_component(_file "${arg_FILE}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  _naos_register_agent(${name} out)
  add_custom_command(
    OUTPUT "${out}"
    COMMAND "${NAOS_WAT2WASM}" "${_file}" -o "${out}"
    DEPENDS "${_file}"
    COMMENT "Building WAT agent ${name}.wasm"
    VERBATIM)
  _naos_agent_target(${name} "${out}")
endfunction()

# Call once, after every add_subdirectory that defines agents: creates the
# `naos_agents` target (built by ALL) and sets NAOS_AGENT_FILES in the caller.
function(naos_finish_agents)
  if(TARGET naos_agents)
    message(FATAL_ERROR "naos_finish_agents() called twice")
  endif()
  get_property(_names GLOBAL PROPERTY NAOS_AGENT_NAMES)
  get_property(_files GLOBAL PROPERTY NAOS_AGENT_FILES)
  add_custom_target(naos_agents ALL)
  foreach(name IN LISTS _names)
    add_dependencies(naos_agents naos_agent_${name})
  endforeach()
  list(LENGTH _names _count)
  message(STATUS "naos agents: ${_count} defined")
  set(NAOS_AGENT_FILES "${_files}" PARENT_SCOPE)
endfunction()
