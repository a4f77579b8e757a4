#include "project/init.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "base/file.h"
#include "project/config.h"
#include "project/project.h"
#include "store/database.h"

namespace naos::project {
namespace {

// A YAML scalar for `name`: plain when that reads back as the same string,
// double-quoted otherwise.
std::string yaml_string(std::string_view text) {
  bool plain = !text.empty() && std::isalnum(static_cast<unsigned char>(text[0]));
  for (char c : text) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
  // Words YAML reads as null or a boolean.
  for (std::string_view special : {"null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
                                   "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"}) {
    plain = plain && text != special;
  }
  if (plain) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Creates `file` with `text`, failing if it exists (O_EXCL): of two inits of
// one folder, only one goes on past the config.
Status create_exclusive(const std::filesystem::path& file, std::string_view text) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return Error(Code::kAlreadyExists, "already a naos project", file.string());
    return Error(Code::kUnavailable, std::string("cannot create the file: ") + std::strerror(errno), file.string());
  }
  if (!write_all(fd, text)) {
    int saved = errno;
    ::close(fd);
    ::unlink(file.c_str());
    return Error(Code::kUnavailable, std::string("cannot write the file: ") + std::strerror(saved), file.string());
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(file.c_str());
    return Error(Code::kUnavailable, std::string("cannot write the file: ") + std::strerror(errno), file.string());
  }
  return ok();
}

}  // namespace

std::string initial_config(std::string_view name) {
  return "# The naos project " + yaml_string(name) + R"(. Every key is described in docs/config.md.
name: )" + yaml_string(name) + R"(

# Sandbox limits for every agent (an agent may set its own under
# agents.NAME.execution). The defaults:
#
# execution:
#   memoryLimit: 256MB   # largest memory of one run
#   timeout: 30s         # wall-clock time of one run
#   fuel: 0              # instructions per run; 0 = no limit (the timeout holds)

# The agents, by name. `naos templates` lists the templates and
# `naos create NAME --template T` adds an agent made from one;
# `naos build NAME` compiles agents/NAME/ into agents/NAME/NAME.wasm.
# An agent reaches nothing but what its capabilities grant, e.g.
#
#   hello:
#     template: echo
#     capabilities:
#       network: restricted       # none (default) | restricted | open
#       allowedHosts: [api.example.com]
#       kv: true
#     tests:
#       - { input: ping, expect: ping }
agents:
)";
}

Result<std::filesystem::path> init_project(const std::filesystem::path& dir, std::string_view name) {
  std::error_code ec;
  auto root = std::filesystem::weakly_canonical(std::filesystem::absolute(dir, ec), ec);
  if (ec) root = std::filesystem::absolute(dir);
  root = root.lexically_normal();
  if (root.filename().empty()) root = root.parent_path();  // "proj/"
  if (std::filesystem::exists(root, ec) && !std::filesystem::is_directory(root, ec)) {
    return Error(Code::kAlreadyExists, "a file, not a folder, is in the way", root.string());
  }
  if (std::filesystem::exists(root / kConfigFileName, ec)) {
    return Error(Code::kAlreadyExists,
                 std::string("already a naos project (") + kConfigFileName + " exists); nothing was changed",
                 root.string());
  }
  std::string project_name(name.empty() ? root.filename().string() : std::string(name));
  if (project_name.empty() || project_name.size() > 100 ||
      std::any_of(project_name.begin(), project_name.end(),
                  [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    return Error(Code::kInvalidArgument, "a project name is 1-100 characters, without control characters",
                 project_name);
  }

  for (const auto& folder : {root, root / "agents", root / "skills"}) {
    std::filesystem::create_directories(folder, ec);
    if (ec) return Error(Code::kUnavailable, "cannot create the folder: " + ec.message(), folder.string());
  }
  std::string text = initial_config(project_name);
  NAOS_TRY(create_exclusive(root / kConfigFileName, text));
  // From here on a failure removes the config again, so init can be re-run.
  auto undo = [&root](Error error) {
    std::error_code ignored;
    std::filesystem::remove(root / kConfigFileName, ignored);
    return error;
  };
  auto project = Project::open(root);
  if (!project) return undo(Error(Code::kInternal, "the initial config does not load: " + project.error().to_string()));
  std::filesystem::create_directories(project->data_dir(), ec);
  if (ec) return undo(Error(Code::kUnavailable, "cannot create the folder: " + ec.message(), project->data_dir().string()));
  auto database = store::Database::open(project->database_file());
  if (!database) return undo(database.error());
  return root;
}

}  // namespace naos::project
