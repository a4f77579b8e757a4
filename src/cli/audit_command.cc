// `naos audit [--last N] [--agent A] [--filter C] [--action E] [--days N] [--limit N]
//             [--format text|json] [--output F] [--follow]`
// `naos audit verify`
// `naos audit accept --reason R [--json]`
// `naos audit head [--json]`

#include <fstream>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/interrupt.h"
#include "governance/witness.h"
#include "project/registry.h"
#include "views/audit.h"

namespace naos::cli {
namespace {

struct AuditFlags {
  int64_t last = 0;
  int64_t limit = 0;
  int64_t days = 0;
  std::string agent;
  std::string filter;
  std::string action;
  std::string format = "text";
  std::string output;
  bool follow = false;
};

std::string to_text(const governance::AuditEvent& e) {
  std::string type = e.type;
  if (type.size() < 16) type.resize(16, ' ');
  std::string line = "[" + format_time(e.ts_ms) + "] " + type + " " + e.agent;
  std::string more = views::audit_detail(e);
  if (!more.empty()) line += "  " + more;
  return line;
}

int list(Context& context, const AuditFlags& flags) {
  const Globals& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  if (flags.format != "text" && flags.format != "json") {
    return report_error(globals, Error(Code::kInvalidArgument, "expected text or json", "--format"));
  }
  bool json = globals.json || flags.format == "json";
  governance::AuditQuery query;
  if (!flags.agent.empty()) query.agent = flags.agent;
  if (!flags.filter.empty()) query.category = flags.filter;
  if (!flags.action.empty()) query.action = flags.action;
  if (flags.days > 0) query.since_ms = context.clock.now_ms() - flags.days * 86'400'000;
  bool filtered = query.agent || query.category || query.action || query.since_ms || flags.limit > 0;
  query.last = flags.last > 0 ? flags.last : (filtered ? 0 : 20);
  auto events = governance::query_audit(*(*naos)->database(), query);
  if (!events) return report_error(globals, events.error());
  if (flags.limit > 0 && static_cast<int64_t>(events->size()) > flags.limit) events->resize(flags.limit);

  std::ofstream file;
  if (!flags.output.empty()) {
    file.open(flags.output, std::ios::trunc);
    if (!file) return report_error(globals, Error(Code::kNotFound, "cannot write the output file", flags.output));
  }
  std::ostream& out = flags.output.empty() ? std::cout : file;
  if (json && !flags.follow) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& e : *events) all.push_back(views::audit_event_json(e));
    out << all.dump(2) << "\n";
  } else {
    for (const auto& e : *events) out << (json ? views::audit_event_json(e).dump() : to_text(e)) << "\n";
  }
  if (!flags.output.empty() && !globals.quiet) {
    std::cerr << "wrote " << events->size() << " events to " << flags.output << "\n";
  }
  if (!flags.follow) return 0;
  out << std::flush;  // what was there already, before waiting for more

  // --follow: poll for new events until Ctrl-C (one JSON object a line with --json).
  query.last = 0;
  query.since_ms.reset();
  query.after_seq = events->empty() ? 0 : events->back().seq;
  if (events->empty()) {
    auto newest = governance::query_audit(*(*naos)->database(), {.last = 1});
    if (newest && !newest->empty()) query.after_seq = newest->back().seq;
  }
  while (!interrupted()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto fresh = governance::query_audit(*(*naos)->database(), query);
    if (!fresh) return report_error(globals, fresh.error());
    for (const auto& e : *fresh) {
      out << (json ? views::audit_event_json(e).dump() : to_text(e)) << "\n" << std::flush;
      query.after_seq = e.seq;
    }
  }
  return 0;
}

// The audit log checked against its signatures and the witness outside
// data/ (verify and accept). The witness is read before the database: every
// head it holds was committed before verify_audit's snapshot begins, so a
// writer racing this is no alarm.
Result<governance::AuditVerification> verify_with_witness(Naos& naos) {
  const governance::Evidence& evidence = *naos.evidence();
  NAOS_ASSIGN_OR_RETURN(governance::WitnessRecord witness, governance::Witness::read(evidence.witness_file()));
  return governance::verify_audit(*naos.database(), evidence.key(), &witness);
}

int verify(Context& context) {
  const Globals& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  auto report = verify_with_witness(**naos);
  if (!report) return report_error(globals, report.error());
  if (globals.json) {
    nlohmann::json out = {{"ok", report->intact},
                          {"events", report->events},
                          {"checkpoints", report->checkpoints},
                          {"witnessed", report->witnessed}};
    if (!report->intact) out["first_bad_event"] = *report->first_bad_seq, out["problem"] = report->problem;
    std::cout << dump_lossless(out, 2) << "\n";
  }
  if (report->intact) {
    if (!globals.json) {
      std::cout << "ok: audit chain intact: " << report->events << " events, signed head, " << report->checkpoints
                << " signed checkpoints, witnessed to #" << report->witnessed << "\n";
    }
    return 0;
  }
  std::cerr << "error: VERIFICATION_FAILED (401): audit chain broken at event #" << *report->first_bad_seq << ": "
            << report->problem << "\n";
  return 1;
}

// `naos audit accept --reason R`: the explicit, audited way past evidence
// that no longer matches (governance/evidence.h): what was wrong is recorded
// in an audit.accepted event with the reason.
int accept(Context& context, const std::string& reason) {
  const Globals& globals = context.globals;
  if (reason.find_first_not_of(" \t\n") == std::string::npos) {
    return report_error(globals, Error(Code::kInvalidArgument, "say why the log is accepted", "--reason"));
  }
  auto naos = open_naos(context, true, governance::Recovery::kAccept);
  if (!naos) return report_error(globals, naos.error());
  const governance::Evidence& evidence = *(*naos)->evidence();
  auto report = verify_with_witness(**naos);
  if (!report) return report_error(globals, report.error());
  nlohmann::json payload = {{"reason", reason}, {"accepted", evidence.accepted()}};
  if (!report->intact) {
    payload["first_bad_event"] = *report->first_bad_seq;
    payload["problem"] = report->problem;
  }
  auto seq = (*naos)->audit()->append({"cli", "", governance::event::kAuditAccepted, payload});
  if (!seq) return report_error(globals, seq.error());
  // The baseline: the witness's heads before it no longer count.
  auto witnessed = governance::write_witness_baseline(*(*naos)->database(), evidence.key(), evidence.witness_file(),
                                                      *seq, context.clock.now_ms());
  if (!witnessed) return report_error(globals, witnessed.error());
  if (globals.json) {
    nlohmann::json out = {{"ok", true}, {"event", *seq}, {"accepted", payload["accepted"]}};
    if (!report->intact) out["problem"] = report->problem;
    std::cout << out.dump(2) << "\n";
  } else if (!globals.quiet) {
    for (const auto& note : evidence.accepted()) std::cout << "accepted: " << note << "\n";
    if (!report->intact) std::cout << "accepted: the audit log as it is: " << report->problem << "\n";
    std::cout << "ok: recorded as audit.accepted (event #" << *seq << ")\n";
  }
  return 0;
}

// `naos audit head`: the newest signed head, with what a third party needs
// to check it without naos (the public key and the exact signed message),
// for anchoring somewhere this machine cannot rewrite.
int head(Context& context) {
  const Globals& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  const governance::Evidence& evidence = *(*naos)->evidence();
  auto select = (*naos)->database()->prepare("SELECT seq, hash, signature, signed_ms FROM audit_head");
  if (!select) return report_error(globals, select.error());
  auto row = select->step();
  if (!row) return report_error(globals, row.error());
  if (!*row) return report_error(globals, Error(Code::kNotFound, "the audit log is empty: no head is signed yet"));
  int64_t seq = select->column_int64(0);
  std::string hash = select->column_text(1), signature = select->column_text(2);
  std::string message = governance::signed_message("head", seq, hash);
  if (!evidence.key().verify(message, signature)) {
    std::cerr << "error: VERIFICATION_FAILED (401): the signed head #" << seq
              << " does not verify with this project's audit key (run `naos audit verify`)\n";
    return 1;
  }
  std::string signed_at = format_utc_ms(select->column_int64(3));
  if (globals.json) {
    nlohmann::json out = {{"seq", seq},
                          {"hash", hash},
                          {"signed_at", signed_at},
                          {"signature", signature},
                          {"signed_message", message},
                          {"public_key", evidence.key().public_key_hex()},
                          {"algorithm", "ed25519"},
                          {"database_id", evidence.database_id()}};
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << "head:        #" << seq << " " << hash << "\n"
            << "signed at:   " << signed_at << "\n"
            << "signature:   " << signature << " (ed25519)\n"
            << "message:     " << message << "\n"
            << "public key:  " << evidence.key().public_key_hex() << "\n"
            << "database:    " << evidence.database_id() << "\n";
  return 0;
}

}  // namespace

void add_audit_command(CLI::App& app, Context& context, int& exit_status) {
  auto flags = std::make_shared<AuditFlags>();
  CLI::App* audit = app.add_subcommand("audit", "Show the audit log (newest 20 events unless filtered)");
  audit->add_option("--last", flags->last, "The newest N events");
  audit->add_option("--agent", flags->agent, "Only events about this agent");
  audit->add_option("--filter", flags->filter, "Only one category: agent, cost, saga, supervisor, capability, ...");
  audit->add_option("--action", flags->action, "Only one event type, e.g. agent.started");
  audit->add_option("--days", flags->days, "Only the last N days");
  audit->add_option("--limit", flags->limit, "At most N events (oldest first)");
  audit->add_option("--format", flags->format, "text (default) or json");
  audit->add_option("--output", flags->output, "Write to this file instead of stdout");
  audit->add_flag("--follow", flags->follow, "Keep printing new events until Ctrl-C");
  audit->add_flag("--json", context.globals.json, "Same as --format json");
  CLI::App* verify_command = audit->add_subcommand("verify", "Check the hash chain, the signed head and checkpoints");
  verify_command->add_flag("--json", context.globals.json, "Print the report as JSON");
  verify_command->callback([&context, &exit_status] { exit_status = verify(context); });
  auto reason = std::make_shared<std::string>();
  CLI::App* accept_command =
      audit->add_subcommand("accept", "Accept the log and its evidence as they are now (audited, with a reason)");
  accept_command->add_option("--reason", *reason, "Why, for the audit.accepted event")->required();
  accept_command->add_flag("--json", context.globals.json, "Print the result as JSON");
  accept_command->callback([&context, reason, &exit_status] { exit_status = accept(context, *reason); });
  CLI::App* head_command = audit->add_subcommand("head", "Print the newest signed head, to keep somewhere else");
  head_command->add_flag("--json", context.globals.json, "Print it as JSON");
  head_command->callback([&context, &exit_status] { exit_status = head(context); });
  audit->callback([audit, &context, flags, &exit_status] {
    if (audit->got_subcommand("verify") || audit->got_subcommand("accept") || audit->got_subcommand("head")) return;
    exit_status = list(context, *flags);
  });
}

}  // namespace naos::cli
