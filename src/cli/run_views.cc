#include "cli/run_views.h"

#include <iostream>

#include "views/runs.h"

namespace naos::cli {
namespace {

std::string clip(const std::string& text, size_t width) {
  std::string one_line = text;
  for (char& c : one_line) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return one_line.size() <= width ? one_line : one_line.substr(0, width - 3) + "...";
}

}  // namespace

int print_result(const Globals& globals, const orchestration::RunResult& result) {
  namespace st = orchestration::state;
  bool completed = result.state == st::kCompleted;
  if (globals.json) {
    std::cout << dump_lossless(views::result_json(result), 2) << "\n";
  } else {
    if (!globals.quiet) {
      std::cerr << result.kind << " " << result.name << " run " << result.run_id << ": " << result.state
                << (result.reused ? " (an earlier run with this id)" : "") << "\n";
    }
    if (completed) std::cout << result.output << (result.output.ends_with('\n') ? "" : "\n");
  }
  if (completed) return 0;
  if (result.state == st::kRunning || result.state == st::kCompensating) {
    std::cerr << "stopped; continue with `naos " << result.kind << " resume " << result.name << "`\n";
    return 1;
  }
  std::string prefix;
  if (result.kind == "saga" && result.state == st::kRolledBack) prefix = "SAGA_STEP_FAILED (201): rolled back: ";
  if (result.kind == "saga" && result.state == st::kCompensationFailed) {
    prefix = "SAGA_COMPENSATION_FAILED (202): ";
  }
  std::cerr << "error: " << prefix << result.error << "\n";
  return 1;
}

void print_runs(const Globals& globals, const std::vector<orchestration::RunRecord>& runs) {
  if (globals.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& run : runs) out.push_back(views::run_json(run));
    std::cout << dump_lossless(out, 2) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows = {{"ID", "KIND", "NAME", "STATE", "STARTED", "UPDATED", "ERROR"}};
  for (const auto& run : runs) {
    rows.push_back({run.id, run.kind, run.name, run.state, format_time(run.created_ms), format_time(run.updated_ms),
                    clip(run.error, 60)});
  }
  std::cout << format_table(rows);
}

int print_history(const Globals& globals, orchestration::Journal& journal, const orchestration::RunRecord& run) {
  auto entries = journal.entries(run.id);
  if (!entries) return report_error(globals, entries.error());
  if (globals.json) {
    nlohmann::json out = views::run_json(run);
    out["journal"] = nlohmann::json::array();
    for (const auto& e : *entries) out["journal"].push_back(views::entry_json(e));
    std::cout << dump_lossless(out, 2) << "\n";
    return 0;
  }
  std::cout << run.kind << " " << run.name << "  run " << run.id << "\n"
            << "state:   " << run.state << "\n"
            << "started: " << format_time(run.created_ms) << "   updated: " << format_time(run.updated_ms) << "\n";
  if (!run.error.empty()) std::cout << "error:   " << run.error << "\n";
  std::vector<std::vector<std::string>> rows = {{"TIME", "STEP", "EVENT", "ATTEMPT", "DETAIL"}};
  for (const auto& e : *entries) {
    std::string detail;
    // Inputs and outputs are bytes (bytes_json in the journal); shown as they are.
    if (e.data.contains("output")) detail = "output: " + bytes_field(e.data, "output");
    if (e.data.contains("error")) detail = bytes_field(e.data, "error") + ": " + bytes_field(e.data, "message");
    if (e.data.contains("reason")) detail = "skipped: " + bytes_field(e.data, "reason");
    if (e.event == orchestration::entry::kStepStarted || e.event == orchestration::entry::kCompensationStarted) {
      detail = "input: " + bytes_field(e.data, "input");
    }
    rows.push_back({format_time(e.ts_ms), e.step < 0 ? "-" : std::to_string(e.step) + " " + e.step_name, e.event,
                    e.attempt > 0 ? std::to_string(e.attempt) : "", clip(detail, 70)});
  }
  std::cout << format_table(rows);
  return 0;
}

int report_run_error(const Globals& globals, const Error& error, const std::string& kind, bool starting) {
  std::optional<ProductCode> code;
  if (kind == "saga" && error.code() == Code::kNotFound) code = ProductCode{200, "SAGA_NOT_FOUND"};
  if (kind == "saga" && starting && error.code() == Code::kFailedPrecondition) {
    code = ProductCode{204, "SAGA_ALREADY_RUNNING"};
  }
  return report_error(globals, error, code);
}

}  // namespace naos::cli
