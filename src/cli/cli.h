// The `naos` command line: thin wrappers that parse flags, call core/naos.h
// and print. Every command that prints data takes --json; errors print
// `error: CODE (number): message` on stderr (codes in docs/errors.md).
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "base/result.h"

namespace naos::cli {

// Flags every command shares (PRODUCT.md "Global").
struct Globals {
  std::string project_dir;
  bool json = false;
  bool verbose = false;
  bool quiet = false;
};

// The product's stable error codes (PRODUCT.md "Error codes").
struct ProductCode {
  int number;
  const char* name;
};

// Prints an error to stderr, in JSON on stdout when --json, and returns the exit status.
int report_error(const Globals& globals, const Error& error, std::optional<ProductCode> code = std::nullopt);

void add_run_command(CLI::App& app, Globals& globals, int& exit_status);

}  // namespace naos::cli
