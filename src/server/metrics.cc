#include "server/metrics.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "governance/budget.h"

namespace naos::server {
namespace {

// A label value: backslash, double quote and newline escaped.
std::string label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\', out += c;
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

const std::vector<double>& ApiMetrics::buckets() {
  static const std::vector<double> bounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
  return bounds;
}

void ApiMetrics::run_ended(const std::string& kind, const std::string& state, double seconds) {
  std::lock_guard lock(mutex_);
  ++runs_[{kind, state}];
  Durations& d = durations_[kind];
  if (d.counts.empty()) d.counts.assign(buckets().size(), 0);
  auto at = std::lower_bound(buckets().begin(), buckets().end(), seconds);
  if (at != buckets().end()) ++d.counts[at - buckets().begin()];
  ++d.count;
  d.sum += seconds;
}

std::string ApiMetrics::render(Naos& naos, int64_t audit_events, int64_t runs_in_flight) const {
  std::string out;
  {
    std::lock_guard lock(mutex_);
    header(out, "naos_api_runs_total", "counter", "Workflow and saga runs this server drove, by how they ended.");
    for (const auto& [key, count] : runs_) {
      out += "naos_api_runs_total{kind=\"" + label(key.first) + "\",state=\"" + label(key.second) + "\"} " +
             std::to_string(count) + "\n";
    }
    header(out, "naos_api_run_duration_seconds", "histogram", "How long the runs this server drove took.");
    for (const auto& [kind, d] : durations_) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i < buckets().size(); ++i) {
        cumulative += d.counts[i];
        out += "naos_api_run_duration_seconds_bucket{kind=\"" + label(kind) + "\",le=\"" + number(buckets()[i]) +
               "\"} " + std::to_string(cumulative) + "\n";
      }
      out += "naos_api_run_duration_seconds_bucket{kind=\"" + label(kind) + "\",le=\"+Inf\"} " +
             std::to_string(d.count) + "\n";
      out += "naos_api_run_duration_seconds_sum{kind=\"" + label(kind) + "\"} " + number(d.sum) + "\n";
      out += "naos_api_run_duration_seconds_count{kind=\"" + label(kind) + "\"} " + std::to_string(d.count) + "\n";
    }
  }
  header(out, "naos_api_runs_in_flight", "gauge", "Runs this server is driving now.");
  out += "naos_api_runs_in_flight " + std::to_string(runs_in_flight) + "\n";
  header(out, "naos_audit_events_total", "counter", "Events in the project's audit log.");
  out += "naos_audit_events_total " + std::to_string(audit_events) + "\n";

  header(out, "naos_agents", "gauge", "Agents by lifecycle status.");
  if (auto agents = naos.agents()) {
    std::map<std::string, int> by_status;
    for (const auto& view : *agents) {
      ++by_status[view.record ? std::string(project::status_name(view.record->status)) : "not created"];
    }
    for (const auto& [status, count] : by_status) {
      out += "naos_agents{status=\"" + label(status) + "\"} " + std::to_string(count) + "\n";
    }
  }

  if (auto* budget = naos.budget()) {
    if (auto statuses = budget->status()) {
      header(out, "naos_cost_spent_microcents", "gauge",
             "Spent in the budget's current period (since its last reset), by target.");
      for (const auto& s : *statuses) {
        out += "naos_cost_spent_microcents{target=\"" + label(s.target) + "\"} " +
               std::to_string(s.spent_microcents) + "\n";
      }
      header(out, "naos_cost_total_microcents", "counter", "Spent all time, by target.");
      for (const auto& s : *statuses) {
        out += "naos_cost_total_microcents{target=\"" + label(s.target) + "\"} " +
               std::to_string(s.total_microcents) + "\n";
      }
      header(out, "naos_budget_remaining_microcents", "gauge",
             "What a budget has left in its current period (its limit less spent and reserved).");
      for (const auto& s : *statuses) {
        if (!s.budget) continue;
        // Saturating: a limit in cents times 1e6 may not fit in 64 bits.
        int64_t limit = 0;
        if (__builtin_mul_overflow(s.budget->limit_cents, int64_t{1'000'000}, &limit)) limit = INT64_MAX;
        int64_t remaining = limit - std::min(limit, s.spent_microcents + s.reserved_microcents);
        out += "naos_budget_remaining_microcents{target=\"" + label(s.target) + "\"} " + std::to_string(remaining) +
               "\n";
      }
    }
  }
  return out;
}

}  // namespace naos::server
