// Project archives — `naos export --format json --output F` and
// `naos import F` (PRODUCT.md "project"): the whole state of a project in one
// JSON document, and back into an empty project.
//
// An archive holds:
//   format, version      "naos-archive", 1
//   naos, schema_version the naos that wrote it and its database schema
//   exported_ms, project when, and the project's name
//   config               nexus.config.yaml, byte for byte
//   secrets              secret names only: values never leave the machine
//   audit                the exporting project's public key, signed head and
//                        checkpoints, so the history can be checked offline
//   tables               every other table of the database, row by row
//                        (registry, budgets and ledger, trust registrations,
//                        runs and journal, pools, supervisors, kv, the audit
//                        events), found generically (store/table_dump.h)
// A cell is JSON null, an integer, {"real": x}, a string (UTF-8 text),
// {"base64": "..."} (text that is not UTF-8) or {"blob": "..."} (base64).
//
// Import refuses a project that holds anything but its own config events, an
// archive of another schema version, and an archive whose audit chain does
// not verify (links, hashes, the signed head under the archive's key). The
// rows are written in one transaction together with this project's signature
// of the imported chain, then an `project.imported` event records the
// archive's head and key.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "core/naos.h"

namespace naos {

inline constexpr int kArchiveVersion = 1;

struct ExportSummary {
  int64_t tables = 0;
  int64_t rows = 0;
  int64_t audit_events = 0;
  std::vector<std::string> secrets;  // names
};

// The project's archive; with `summary`, what it holds.
Result<nlohmann::json> export_project(Naos& naos, ExportSummary* summary = nullptr);

struct ImportSummary {
  int64_t tables = 0;
  int64_t rows = 0;
  int64_t audit_events = 0;
  std::string source_project;
  // Secrets the archive names: set them again with `naos secret set`.
  std::vector<std::string> secrets_to_set;
};

// Restores `archive` into `naos`'s project, which must be empty.
Result<ImportSummary> import_project(Naos& naos, const nlohmann::json& archive);

}  // namespace naos
