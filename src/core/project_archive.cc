#include "core/project_archive.h"

#include <algorithm>
#include <set>

#include "base/bytes_json.h"
#include "base/file.h"
#include "base/sha256.h"
#include "store/table_dump.h"

namespace naos {
namespace {

constexpr const char* kFormat = "naos-archive";
constexpr const char* kImported = "project.imported";

// Not rows of the project's history: signatures by this project's key (the
// archive carries them in "audit", and import signs afresh), and secret
// values, encrypted under a key that stays on this machine; and the
// database's own identity (governance/evidence.h), which the project it is
// imported into keeps.
const std::set<std::string> kNotExported = {"audit_head", "audit_checkpoints", "secrets", "project_identity"};

// Bytes as the rest of naos writes them in JSON (base/bytes_json.h); the
// archive's own wording when a value is neither form.
Result<std::string> bytes_from_json(const nlohmann::json& value, std::string_view what) {
  if (value.is_string() || (value.is_object() && value.contains("base64") && value["base64"].is_string())) {
    return naos::bytes_from_json(value);
  }
  return Error(Code::kInvalidArgument, "the archive's " + std::string(what) + " is neither text nor {\"base64\"}");
}

nlohmann::json cell_to_json(const store::Cell& cell) {
  switch (cell.kind) {
    case store::Statement::Kind::kNull: return nullptr;
    case store::Statement::Kind::kInteger: return cell.integer;
    case store::Statement::Kind::kReal: return {{"real", cell.real}};
    case store::Statement::Kind::kText: return bytes_json(cell.bytes);
    case store::Statement::Kind::kBlob: return {{"blob", base64_encode(cell.bytes)}};
  }
  return nullptr;
}

Result<store::Cell> cell_from_json(const nlohmann::json& value) {
  store::Cell cell;
  if (value.is_null()) return cell;
  if (value.is_number_integer()) {
    cell.kind = store::Statement::Kind::kInteger;
    cell.integer = value.get<int64_t>();
    return cell;
  }
  if (value.is_string()) {
    cell.kind = store::Statement::Kind::kText;
    cell.bytes = value.get<std::string>();
    return cell;
  }
  if (value.is_object() && value.size() == 1) {
    if (value.contains("real") && value["real"].is_number()) {
      cell.kind = store::Statement::Kind::kReal;
      cell.real = value["real"].get<double>();
      return cell;
    }
    if (value.contains("base64") && value["base64"].is_string()) {
      cell.kind = store::Statement::Kind::kText;
      NAOS_ASSIGN_OR_RETURN(cell.bytes, base64_decode(value["base64"].get<std::string>()));
      return cell;
    }
    if (value.contains("blob") && value["blob"].is_string()) {
      cell.kind = store::Statement::Kind::kBlob;
      NAOS_ASSIGN_OR_RETURN(cell.bytes, base64_decode(value["blob"].get<std::string>()));
      return cell;
    }
  }
  return Error(Code::kInvalidArgument, "the archive holds a cell that is not null, an integer, text, "
                                       "{\"real\"}, {\"base64\"} or {\"blob\"}: " + value.dump().substr(0, 80));
}

Result<nlohmann::json> audit_signatures(store::Database& database) {
  nlohmann::json audit = nlohmann::json::object();
  NAOS_ASSIGN_OR_RETURN(store::Statement head, database.prepare("SELECT seq, hash, signature FROM audit_head"));
  NAOS_ASSIGN_OR_RETURN(bool has_head, head.step());
  audit["head"] = has_head ? nlohmann::json{{"seq", head.column_int64(0)},
                                            {"hash", head.column_text(1)},
                                            {"signature", head.column_text(2)}}
                           : nlohmann::json(nullptr);
  nlohmann::json checkpoints = nlohmann::json::array();
  NAOS_ASSIGN_OR_RETURN(store::Statement rows,
                        database.prepare("SELECT seq, hash, signature FROM audit_checkpoints ORDER BY seq"));
  while (true) {
    NAOS_ASSIGN_OR_RETURN(bool row, rows.step());
    if (!row) break;
    checkpoints.push_back({{"seq", rows.column_int64(0)}, {"hash", rows.column_text(1)},
                           {"signature", rows.column_text(2)}});
  }
  audit["checkpoints"] = std::move(checkpoints);
  return audit;
}

// The archive's audit events as the chain's rows, checked: numbered from 1
// without gaps, each linked to the one before and matching its hash, the last
// one the archive's signed head under the archive's key. An archive edited by
// hand (or cut short in transfer) is refused rather than imported as history.
Status check_archived_chain(const store::TableRows& events, const nlohmann::json& audit) {
  auto column = [&](std::string_view name) -> int {
    for (size_t i = 0; i < events.columns.size(); ++i) {
      if (events.columns[i] == name) return static_cast<int>(i);
    }
    return -1;
  };
  int seq_at = column("seq"), ts_at = column("ts_ms"), actor_at = column("actor"), agent_at = column("agent"),
      type_at = column("type"), payload_at = column("payload"), prev_at = column("prev_hash"), hash_at = column("hash");
  for (int at : {seq_at, ts_at, actor_at, agent_at, type_at, payload_at, prev_at, hash_at}) {
    if (at < 0) return Error(Code::kInvalidArgument, "the archive's audit_events table lacks a column of the chain");
  }
  auto broken = [](int64_t seq, const std::string& how) {
    return Error(Code::kInvalidArgument,
                 "the archive's audit log is broken at event #" + std::to_string(seq) + ": " + how);
  };
  std::string prev_hash = governance::kGenesisHash;
  int64_t expected = 1;
  for (const auto& row : events.rows) {
    governance::AuditEvent event{row[seq_at].integer, row[ts_at].integer,   row[actor_at].bytes,
                                 row[agent_at].bytes, row[type_at].bytes,   row[payload_at].bytes,
                                 row[prev_at].bytes,  row[hash_at].bytes};
    if (event.seq != expected) return broken(expected, "it is missing");
    if (event.prev_hash != prev_hash) return broken(event.seq, "it does not link to the event before it");
    if (governance::compute_hash(event) != event.hash) return broken(event.seq, "its content does not match its hash");
    prev_hash = event.hash;
    ++expected;
  }
  int64_t last = expected - 1;
  const nlohmann::json& head = audit.contains("head") ? audit["head"] : nlohmann::json(nullptr);
  if (last == 0) return ok();
  if (!head.is_object() || !head.contains("seq") || !head.contains("hash") || !head.contains("signature")) {
    return broken(last, "the archive has no signed head");
  }
  if (head["seq"] != last || head["hash"] != prev_hash) {
    return broken(last, "the chain does not end in the archive's signed head #" + head["seq"].dump());
  }
  std::string public_key = audit.value("public_key", "");
  if (!governance::verify_with_public_key(public_key,
                                          governance::signed_message("head", last, head["hash"].get<std::string>()),
                                          head["signature"].get<std::string>())) {
    return broken(last, "the head's signature does not verify under the archive's public key");
  }
  return ok();
}

// A project is empty when no table holds a row, but for the `config.changed`
// events that opening it writes: those the import replaces.
Status require_empty(store::Database& database) {
  NAOS_ASSIGN_OR_RETURN(std::vector<std::string> names, store::table_names(database));
  for (const std::string& name : names) {
    if (name == "audit_events" || name == "audit_head" || name == "audit_checkpoints" || name == "project_identity") {
      continue;
    }
    NAOS_ASSIGN_OR_RETURN(bool empty, store::table_is_empty(database, name));
    if (!empty) {
      return Error(Code::kFailedPrecondition, "this project is not empty (table '" + name +
                                                  "' has rows); import restores into a new project: "
                                                  "naos init DIR, then naos import F there");
    }
  }
  NAOS_ASSIGN_OR_RETURN(store::Statement other,
                        database.prepare("SELECT seq, type FROM audit_events WHERE type <> ?1 LIMIT 1"));
  other.bind(1, std::string_view(governance::event::kConfigChanged));
  NAOS_ASSIGN_OR_RETURN(bool has_other, other.step());
  if (has_other) {
    return Error(Code::kFailedPrecondition, "this project is not empty (its audit log has " + other.column_text(1) +
                                                " at #" + std::to_string(other.column_int64(0)) +
                                                "); import restores into a new project: naos init DIR, then "
                                                "naos import F there");
  }
  return ok();
}

Result<store::TableRows> table_from_json(const std::string& name, const nlohmann::json& value) {
  if (!value.is_object() || !value.contains("columns") || !value["columns"].is_array() || !value.contains("rows") ||
      !value["rows"].is_array()) {
    return Error(Code::kInvalidArgument, "the archive's table '" + name + "' lacks columns or rows");
  }
  store::TableRows table;
  table.name = name;
  for (const auto& column : value["columns"]) {
    if (!column.is_string()) return Error(Code::kInvalidArgument, "table '" + name + "' has a column name that is not text");
    table.columns.push_back(column.get<std::string>());
  }
  for (const auto& row : value["rows"]) {
    if (!row.is_array() || row.size() != table.columns.size()) {
      return Error(Code::kInvalidArgument, "a row of the archive's table '" + name + "' does not have " +
                                               std::to_string(table.columns.size()) + " values");
    }
    std::vector<store::Cell> cells;
    for (const auto& value : row) {
      NAOS_ASSIGN_OR_RETURN(store::Cell cell, cell_from_json(value));
      cells.push_back(std::move(cell));
    }
    table.rows.push_back(std::move(cells));
  }
  return table;
}

}  // namespace

Result<nlohmann::json> export_project(Naos& naos, ExportSummary* summary) {
  const project::Project* project = naos.project();
  store::Database* database = naos.database();
  if (project == nullptr || database == nullptr) {
    return Error(Code::kFailedPrecondition, "not in a naos project (run naos init, or pass --project)");
  }
  NAOS_ASSIGN_OR_RETURN(std::string config, read_file(project->config_file(), "config file"));
  // One snapshot for the rows and the signed head: read one after the other
  // while another process runs an agent, the head could be newer than the
  // last event exported, and the archive would not verify.
  NAOS_ASSIGN_OR_RETURN(store::ReadTransaction snapshot, database->read());
  NAOS_ASSIGN_OR_RETURN(std::vector<store::TableRows> tables, store::dump_tables(*database, kNotExported));
  NAOS_ASSIGN_OR_RETURN(nlohmann::json audit, audit_signatures(*database));
  if (naos.audit() != nullptr) audit["public_key"] = naos.audit()->public_key_hex();
  nlohmann::json secrets = nlohmann::json::array();
  if (naos.secrets() != nullptr) {
    NAOS_ASSIGN_OR_RETURN(auto listed, naos.secrets()->list());
    for (const auto& secret : listed) secrets.push_back(secret.name);
  }

  ExportSummary counted;
  nlohmann::json out_tables = nlohmann::json::object();
  for (const store::TableRows& table : tables) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& row : table.rows) {
      nlohmann::json cells = nlohmann::json::array();
      for (const store::Cell& cell : row) cells.push_back(cell_to_json(cell));
      rows.push_back(std::move(cells));
    }
    ++counted.tables;
    counted.rows += static_cast<int64_t>(table.rows.size());
    if (table.name == "audit_events") counted.audit_events = static_cast<int64_t>(table.rows.size());
    out_tables[table.name] = {{"columns", table.columns}, {"rows", std::move(rows)}};
  }
  for (const auto& name : secrets) counted.secrets.push_back(name.get<std::string>());
  if (summary != nullptr) *summary = counted;
  return nlohmann::json{{"format", kFormat},
                        {"version", kArchiveVersion},
                        {"naos", "0.1.0"},
                        {"schema_version", database->schema_version()},
                        {"exported_ms", naos.clock().now_ms()},
                        {"project", project->config().name},
                        {"config", bytes_json(config)},
                        {"secrets", std::move(secrets)},
                        {"audit", std::move(audit)},
                        {"tables", std::move(out_tables)}};
}

Result<ImportSummary> import_project(Naos& naos, const nlohmann::json& archive) {
  const project::Project* project = naos.project();
  store::Database* database = naos.database();
  if (project == nullptr || database == nullptr || naos.audit() == nullptr) {
    return Error(Code::kFailedPrecondition, "not in a naos project (run naos init DIR, then import there)");
  }
  if (!archive.is_object() || archive.value("format", "") != kFormat) {
    return Error(Code::kInvalidArgument, "not a naos archive (written by naos export --format json)");
  }
  if (archive.value("version", 0) != kArchiveVersion) {
    return Error(Code::kInvalidArgument, "archive version " + archive.value("version", nlohmann::json()).dump() +
                                             " is not one this naos reads (" + std::to_string(kArchiveVersion) + ")");
  }
  int ours = database->schema_version();
  if (archive.value("schema_version", -1) != ours) {
    return Error(Code::kFailedPrecondition,
                 "the archive's database schema is version " + archive.value("schema_version", nlohmann::json()).dump() +
                     " and this naos writes version " + std::to_string(ours) +
                     ": import with the naos version that exported it");
  }
  if (!archive.contains("tables") || !archive["tables"].is_object() || !archive.contains("config")) {
    return Error(Code::kInvalidArgument, "the archive lacks its tables or its config");
  }
  NAOS_ASSIGN_OR_RETURN(std::string config, bytes_from_json(archive["config"], "config"));
  // The config must be one this naos accepts before anything is written.
  NAOS_TRY(project::parse_config(config, project->config_file().string()));

  ImportSummary summary;
  summary.source_project = archive.value("project", "");
  std::vector<store::TableRows> tables;
  for (const auto& [name, value] : archive["tables"].items()) {
    if (kNotExported.contains(name)) {
      return Error(Code::kInvalidArgument, "the archive holds table '" + name + "', which archives never carry");
    }
    NAOS_ASSIGN_OR_RETURN(store::TableRows table, table_from_json(name, value));
    summary.rows += static_cast<int64_t>(table.rows.size());
    tables.push_back(std::move(table));
  }
  summary.tables = static_cast<int64_t>(tables.size());
  // In the order this schema created them (JSON objects are sorted by name),
  // so a table is written after any it could refer to.
  NAOS_ASSIGN_OR_RETURN(std::vector<std::string> created, store::table_names(*database));
  auto rank = [&created](const store::TableRows& table) {
    return std::find(created.begin(), created.end(), table.name) - created.begin();
  };
  std::stable_sort(tables.begin(), tables.end(),
                   [&rank](const store::TableRows& a, const store::TableRows& b) { return rank(a) < rank(b); });
  const nlohmann::json audit = archive.value("audit", nlohmann::json::object());
  for (const store::TableRows& table : tables) {
    if (table.name != "audit_events") continue;
    NAOS_TRY(check_archived_chain(table, audit));
    summary.audit_events = static_cast<int64_t>(table.rows.size());
  }
  if (archive.contains("secrets") && archive["secrets"].is_array()) {
    for (const auto& name : archive["secrets"]) {
      if (name.is_string()) summary.secrets_to_set.push_back(name.get<std::string>());
    }
  }

  {
    NAOS_ASSIGN_OR_RETURN(store::Transaction transaction, database->begin());
    NAOS_TRY(require_empty(*database));
    NAOS_TRY(database->exec("DELETE FROM audit_events; DELETE FROM audit_head; DELETE FROM audit_checkpoints;"));
    for (const store::TableRows& table : tables) NAOS_TRY(store::insert_rows(*database, table));
    NAOS_TRY(naos.audit()->sign_imported_chain(*database));
    // The config is written last inside the transaction: if it cannot be,
    // nothing was imported; if the commit fails after it, the project holds
    // the archive's config and an empty database, and import can run again.
    NAOS_TRY(write_file_atomically(project->config_file(), config, std::filesystem::perms::owner_read |
                                                                       std::filesystem::perms::owner_write |
                                                                       std::filesystem::perms::group_read |
                                                                       std::filesystem::perms::others_read,
                                   "config file"));
    NAOS_TRY(transaction.commit());
  }
  nlohmann::json payload = {{"from_project", summary.source_project},
                            {"exported_ms", archive.value("exported_ms", nlohmann::json())},
                            {"events", summary.audit_events},
                            {"rows", summary.rows},
                            {"source_public_key", audit.value("public_key", "")},
                            {"source_head", audit.value("head", nlohmann::json())},
                            {"secrets_to_set", summary.secrets_to_set}};
  NAOS_ASSIGN_OR_RETURN(int64_t seq, naos.audit()->append({"cli", "", kImported, std::move(payload)}));
  // The log was rightly replaced: the witness's heads of the empty
  // project's log (its config.changed events) no longer count.
  if (naos.evidence() != nullptr) {
    NAOS_TRY(governance::write_witness_baseline(*database, naos.evidence()->key(), naos.evidence()->witness_file(),
                                                seq, naos.clock().now_ms()));
  }
  return summary;
}

}  // namespace naos
