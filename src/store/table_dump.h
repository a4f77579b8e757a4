// Table dumps — every row of the project database, as plain values, for
// `naos export` and `naos import` (core/project_archive.h).
//
// Generic on purpose: tables are found in sqlite_master and columns by name,
// so a table a later migration adds is exported and imported with no change
// here, and an archive can never silently leave one out.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/database.h"

namespace naos::store {

// One value as SQLite stored it: its storage class and its bytes.
struct Cell {
  Statement::Kind kind = Statement::Kind::kNull;
  int64_t integer = 0;
  double real = 0;
  std::string bytes;  // kText and kBlob
};

struct TableRows {
  std::string name;
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;  // each as long as `columns`
};

// The names of the database's own tables, in creation order (SQLite's
// internal sqlite_* tables left out).
Result<std::vector<std::string>> table_names(Database& database);

// Every row of every table but those in `skip`. Read table by table: call it
// inside Database::read(), with whatever else must match it (export reads
// the signed head in the same snapshot), so a writer in another process
// cannot make the dump inconsistent.
Result<std::vector<TableRows>> dump_tables(Database& database, const std::set<std::string>& skip);

// Whether `table` holds no row.
Result<bool> table_is_empty(Database& database, std::string_view table);

// Inserts `table`'s rows, columns matched by name, inside the caller's
// transaction. kInvalidArgument for a table or column this schema lacks.
Status insert_rows(Database& database, const TableRows& table);

}  // namespace naos::store
