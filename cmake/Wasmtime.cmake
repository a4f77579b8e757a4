# Builds Wasmtime's C API (deps/wasmtime, a staticlib crate over
# wasmtime-c-api-impl) with cargo at configure time and exposes it as the
# imported target `wasmtime::wasmtime`.
#
# The cargo target folder lives outside the clone (NAOS_CACHE_DIR, default
# ~/.cache/naos), so a fresh clone or a wiped build/ reuses the compiled
# engine; a cold build compiles it from crates.io (about 4 minutes on 2 cores).

set(NAOS_CACHE_DIR "$ENV{HOME}/.cache/naos" CACHE PATH "Where the Wasmtime build is cached")
set(NAOS_WASMTIME_TARGET_DIR "${NAOS_CACHE_DIR}/wasmtime-target")
set(NAOS_WASMTIME_INCLUDE_DIR "${NAOS_CACHE_DIR}/wasmtime-include")
set(NAOS_WASMTIME_LIB "${NAOS_WASMTIME_TARGET_DIR}/release/libnaos_wasmtime.a")
set(crate_dir "${PROJECT_SOURCE_DIR}/deps/wasmtime")

find_program(CARGO cargo HINTS "$ENV{HOME}/.cargo/bin" REQUIRED)

file(GLOB crate_sources CONFIGURE_DEPENDS "${crate_dir}/src/*.rs")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  "${crate_dir}/Cargo.toml" "${crate_dir}/build.rs" ${crate_sources})

message(STATUS "Building Wasmtime C API with cargo (cached in ${NAOS_WASMTIME_TARGET_DIR})")
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env
          "CARGO_TARGET_DIR=${NAOS_WASMTIME_TARGET_DIR}"
          "NAOS_WASMTIME_INCLUDE_OUT=${NAOS_WASMTIME_INCLUDE_DIR}"
          ${CARGO} build --release --locked --quiet
  WORKING_DIRECTORY "${crate_dir}"
  RESULT_VARIABLE cargo_result)
if(NOT cargo_result EQUAL 0)
  message(FATAL_ERROR "cargo build of deps/wasmtime failed (${cargo_result})")
endif()

add_library(wasmtime::wasmtime STATIC IMPORTED GLOBAL)
set_target_properties(wasmtime::wasmtime PROPERTIES
  IMPORTED_LOCATION "${NAOS_WASMTIME_LIB}"
  INTERFACE_INCLUDE_DIRECTORIES "${NAOS_WASMTIME_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES "pthread;dl;m")
