// `naos export --format json --output F [--json]` and `naos import F [--json]`
// (PRODUCT.md "project"): a project's whole state into one file, and back
// into an empty project (core/project_archive.h).

#include <iostream>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "cli/cli.h"
#include "core/project_archive.h"

namespace naos::cli {
namespace {

struct ExportFlags {
  std::string format = "json";
  std::string output;
};

int export_command(Context& context, const ExportFlags& flags) {
  const Globals& globals = context.globals;
  if (flags.format != "json") {
    return report_error(globals, Error(Code::kInvalidArgument, "--format " + flags.format +
                                                                   ": the one archive format is json"));
  }
  auto naos = open_naos(context, /*need_project=*/true);
  if (!naos) return report_error(globals, naos.error());
  ExportSummary summary;
  auto archive = export_project(**naos, &summary);
  if (!archive) return report_error(globals, archive.error());
  std::string text = archive->dump(1) + "\n";
  if (flags.output == "-") {
    std::cout << text;
    return 0;
  }
  // 0600: the archive holds the kv store and the ledger, whatever the agents put there.
  Status written = write_file_atomically(flags.output, text,
                                         std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                         "archive");
  if (!written) return report_error(globals, written.error());
  if (globals.json) {
    std::cout << nlohmann::json{{"ok", true},          {"output", flags.output},  {"tables", summary.tables},
                                {"rows", summary.rows}, {"audit_events", summary.audit_events},
                                {"secrets", summary.secrets}}
                     .dump(2)
              << "\n";
  } else if (!globals.quiet) {
    std::cout << "✓ Exported " << summary.rows << " rows from " << summary.tables << " tables ("
              << summary.audit_events << " audit events) to " << flags.output << "\n";
    if (!summary.secrets.empty()) {
      std::cout << "  secrets are named, not exported: set them again after import (" << summary.secrets.size()
                << ")\n";
    }
  }
  return 0;
}

int import_command(Context& context, const std::string& file) {
  const Globals& globals = context.globals;
  auto text = file == "-" ? read_input("-") : read_file(file, "archive");
  if (!text) return report_error(globals, text.error());
  auto archive = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (archive.is_discarded()) {
    return report_error(globals, Error(Code::kInvalidArgument, "the archive is not JSON", file));
  }
  auto naos = open_naos(context, /*need_project=*/true);
  if (!naos) return report_error(globals, naos.error());
  auto summary = import_project(**naos, archive);
  if (!summary) return report_error(globals, summary.error());
  if (globals.json) {
    std::cout << nlohmann::json{{"ok", true},
                                {"from_project", summary->source_project},
                                {"tables", summary->tables},
                                {"rows", summary->rows},
                                {"audit_events", summary->audit_events},
                                {"secrets_to_set", summary->secrets_to_set}}
                     .dump(2)
              << "\n";
  } else if (!globals.quiet) {
    std::cout << "✓ Imported " << summary->rows << " rows into " << summary->tables << " tables ("
              << summary->audit_events << " audit events) from project '" << summary->source_project << "'\n";
    for (const std::string& name : summary->secrets_to_set) {
      std::cout << "  set secret " << name << " again: naos secret set " << name << "\n";
    }
    std::cout << "  naos audit verify   # the imported history, now signed by this project\n";
  }
  return 0;
}

}  // namespace

void add_archive_commands(CLI::App& app, Context& context, int& exit_status) {
  Globals& globals = context.globals;
  auto flags = std::make_shared<ExportFlags>();
  CLI::App* exporting = app.add_subcommand("export", "Write the project's whole state (config, registry, budgets "
                                                     "and ledger, trust, runs, audit log) to one file");
  exporting->add_option("--format", flags->format, "Archive format (json)")->capture_default_str();
  exporting->add_option("--output,-o", flags->output, "The archive file to write ('-' for stdout)")->required();
  exporting->add_flag("--json", globals.json, "Print the result as JSON");
  exporting->callback([&context, flags, &exit_status] { exit_status = export_command(context, *flags); });

  auto file = std::make_shared<std::string>();
  CLI::App* importing = app.add_subcommand("import", "Restore an archive from naos export into this (empty) project");
  importing->add_option("file", *file, "The archive ('-' for stdin)")->required();
  importing->add_flag("--json", globals.json, "Print the result as JSON");
  importing->callback([&context, file, &exit_status] { exit_status = import_command(context, *file); });
}

}  // namespace naos::cli
