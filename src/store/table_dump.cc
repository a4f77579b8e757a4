#include "store/table_dump.h"

#include <algorithm>

namespace naos::store {
namespace {

// SQL identifiers come from sqlite_master or an archive: quoted, never trusted.
std::string sql_identifier(std::string_view identifier) {
  std::string out = "\"";
  for (char c : identifier) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

Cell read_cell(const Statement& row, int index) {
  Cell cell;
  cell.kind = row.column_kind(index);
  switch (cell.kind) {
    case Statement::Kind::kInteger: cell.integer = row.column_int64(index); break;
    case Statement::Kind::kReal: cell.real = row.column_double(index); break;
    case Statement::Kind::kText:
    case Statement::Kind::kBlob: cell.bytes = row.column_text(index); break;
    case Statement::Kind::kNull: break;
  }
  return cell;
}

// "ORDER BY" the primary key, else the rowid: a dump is deterministic, and
// the audit chain and the journals come out in sequence.
Result<std::string> order_of(Database& database, std::string_view table) {
  NAOS_ASSIGN_OR_RETURN(Statement info,
                        database.prepare("SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk"));
  info.bind(1, table);
  std::string keys;
  while (true) {
    NAOS_ASSIGN_OR_RETURN(bool row, info.step());
    if (!row) break;
    keys += (keys.empty() ? "" : ", ") + sql_identifier(info.column_text(0));
  }
  return " ORDER BY " + (keys.empty() ? std::string("rowid") : keys);
}

Result<std::vector<std::string>> columns_of(Database& database, std::string_view table) {
  NAOS_ASSIGN_OR_RETURN(Statement info, database.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid"));
  info.bind(1, table);
  std::vector<std::string> columns;
  while (true) {
    NAOS_ASSIGN_OR_RETURN(bool row, info.step());
    if (!row) break;
    columns.push_back(info.column_text(0));
  }
  return columns;
}

}  // namespace

Result<std::vector<std::string>> table_names(Database& database) {
  NAOS_ASSIGN_OR_RETURN(Statement tables,
                        database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' "
                                         "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid"));
  std::vector<std::string> names;
  while (true) {
    NAOS_ASSIGN_OR_RETURN(bool row, tables.step());
    if (!row) break;
    names.push_back(tables.column_text(0));
  }
  return names;
}

Result<std::vector<TableRows>> dump_tables(Database& database, const std::set<std::string>& skip) {
  NAOS_ASSIGN_OR_RETURN(std::vector<std::string> names, table_names(database));
  std::vector<TableRows> tables;
  for (const std::string& name : names) {
    if (skip.contains(name)) continue;
    TableRows table;
    table.name = name;
    NAOS_ASSIGN_OR_RETURN(table.columns, columns_of(database, name));
    std::string list;
    for (const std::string& column : table.columns) list += (list.empty() ? "" : ", ") + sql_identifier(column);
    NAOS_ASSIGN_OR_RETURN(std::string order, order_of(database, name));
    NAOS_ASSIGN_OR_RETURN(Statement rows, database.prepare("SELECT " + list + " FROM " + sql_identifier(name) + order));
    while (true) {
      NAOS_ASSIGN_OR_RETURN(bool row, rows.step());
      if (!row) break;
      std::vector<Cell> cells;
      cells.reserve(table.columns.size());
      for (int i = 0; i < static_cast<int>(table.columns.size()); ++i) cells.push_back(read_cell(rows, i));
      table.rows.push_back(std::move(cells));
    }
    tables.push_back(std::move(table));
  }
  return tables;
}

Result<bool> table_is_empty(Database& database, std::string_view table) {
  NAOS_ASSIGN_OR_RETURN(Statement any, database.prepare("SELECT 1 FROM " + sql_identifier(table) + " LIMIT 1"));
  NAOS_ASSIGN_OR_RETURN(bool row, any.step());
  return !row;
}

Status insert_rows(Database& database, const TableRows& table) {
  NAOS_ASSIGN_OR_RETURN(std::vector<std::string> names, table_names(database));
  if (std::find(names.begin(), names.end(), table.name) == names.end()) {
    return Error(Code::kInvalidArgument, "this naos has no table '" + table.name + "'");
  }
  NAOS_ASSIGN_OR_RETURN(std::vector<std::string> known, columns_of(database, table.name));
  std::string list, params;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (std::find(known.begin(), known.end(), table.columns[i]) == known.end()) {
      return Error(Code::kInvalidArgument, "table '" + table.name + "' has no column '" + table.columns[i] + "'");
    }
    list += (i ? ", " : "") + sql_identifier(table.columns[i]);
    params += (i ? ", ?" : "?") + std::to_string(i + 1);
  }
  NAOS_ASSIGN_OR_RETURN(Statement insert,
                        database.prepare("INSERT INTO " + sql_identifier(table.name) + " (" + list + ") VALUES (" + params + ")"));
  for (const std::vector<Cell>& row : table.rows) {
    if (row.size() != table.columns.size()) {
      return Error(Code::kInvalidArgument, "a row of table '" + table.name + "' has " + std::to_string(row.size()) +
                                               " values for " + std::to_string(table.columns.size()) + " columns");
    }
    for (size_t i = 0; i < row.size(); ++i) {
      int param = static_cast<int>(i + 1);
      const Cell& cell = row[i];
      switch (cell.kind) {
        case Statement::Kind::kNull: insert.bind_null(param); break;
        case Statement::Kind::kInteger: insert.bind(param, cell.integer); break;
        case Statement::Kind::kReal: insert.bind_double(param, cell.real); break;
        case Statement::Kind::kText: insert.bind(param, std::string_view(cell.bytes)); break;
        case Statement::Kind::kBlob: insert.bind_blob(param, cell.bytes); break;
      }
    }
    NAOS_TRY(insert.run());
    insert.reset();
  }
  return ok();
}

}  // namespace naos::store
