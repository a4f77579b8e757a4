#include "project/templates.h"

#include "project/config_edit.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "base/units.h"
#include "project/config.h"
#include "project/project.h"

namespace naos::project {
namespace {

constexpr std::string_view kTemplateFile = "template.yaml";
constexpr std::string_view kNamePlaceholder = "{{name}}";

// The same rule as config.cc's: 1-64 letters, digits, '-' or '_', starting
// with a letter or digit.
bool valid_agent_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

Error bad_name(std::string_view name) {
  return Error(Code::kInvalidArgument,
               "an agent name is 1-64 letters, digits, '-' or '_', starting with a letter or digit",
               std::string(name));
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  size_t at = 0;
  for (size_t found; (found = text.find(from, at)) != std::string_view::npos; at = found + from.size()) {
    out.append(text.substr(at, found - at)).append(to);
  }
  out.append(text.substr(at));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Splits text into lines; a final line without '\n' counts, an empty tail does not.
std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    lines.emplace_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  return lines;
}

bool is_blank_or_comment(std::string_view line) {
  auto t = trim(line);
  return t.empty() || t.front() == '#';
}

// A line holding a top-level key: it starts at column 0 with something other
// than a comment or a document marker.
bool is_top_level(std::string_view line) {
  if (line.empty() || line.front() == ' ' || line.front() == '\t' || line.front() == '#' || line.front() == '\r') {
    return false;
  }
  return !(line.starts_with("---") || line.starts_with("..."));
}

// template.yaml split into its top-level keys, each with the text that belongs
// to it: the comments and blank lines just above it, its line, its indented
// lines. Used to copy the config entry out of template.yaml verbatim.
struct KeyBlock {
  std::string key;
  std::string text;
};

std::vector<KeyBlock> top_level_blocks(std::string_view text) {
  std::vector<KeyBlock> blocks;
  std::string pending;
  for (const auto& line : split_lines(text)) {
    if (is_top_level(line)) {
      auto colon = line.find(':');
      KeyBlock block{std::string(trim(line.substr(0, colon))), pending + line + "\n"};
      pending.clear();
      blocks.push_back(std::move(block));
    } else if (!blocks.empty() && !line.empty() && (line.front() == ' ' || line.front() == '\t') &&
               !is_blank_or_comment(line)) {
      blocks.back().text += pending + line + "\n";
      pending.clear();
    } else {
      pending += line + "\n";
    }
  }
  return blocks;
}

std::string indent(std::string_view text, std::string_view by, std::string_view eol) {
  std::string out;
  for (const auto& line : split_lines(text)) {
    std::string_view l = line;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (trim(l).empty()) {
      out.append(eol);
    } else {
      out.append(by).append(l).append(eol);
    }
  }
  return out;
}

// A config holding just this agent entry; what a template's body must pass.
std::string single_agent_config(std::string_view name, std::string_view body) {
  return "agents:\n  " + std::string(name) + ":\n" + indent(body, "    ", "\n");
}

Result<Template> parse_template(const std::string& name, const std::vector<EmbeddedFile>& files) {
  auto bad = [&name](const std::string& message) {
    return Error(Code::kInvalidArgument, message, "templates/" + name);
  };
  auto spec = std::find_if(files.begin(), files.end(), [](const EmbeddedFile& f) { return f.path == kTemplateFile; });
  if (spec == files.end()) return bad("no template.yaml");
  YAML::Node root;
  try {
    root = YAML::Load(std::string(spec->bytes));
  } catch (const YAML::Exception& e) {
    return bad("template.yaml: " + e.msg);
  }
  if (!root.IsMap()) return bad("template.yaml: expected a mapping");
  Template out;
  out.name = name;
  if (!root["description"] || !root["description"].IsScalar() || root["description"].Scalar().empty()) {
    return bad("template.yaml: description: is required");
  }
  out.description = root["description"].Scalar();
  std::string language = root["language"] && root["language"].IsScalar() ? root["language"].Scalar() : "";
  if (language == "c") {
    out.language = Language::kC;
  } else if (language == "go") {
    out.language = Language::kGo;
  } else {
    return bad("template.yaml: language: must be c or go");
  }

  out.config_body = "template: " + name + "\n";
  for (auto& block : top_level_blocks(spec->bytes)) {
    if (block.key == "description" || block.key == "language") continue;
    if (block.key == "template" || block.key == "source") return bad("template.yaml: " + block.key + ": is set by naos");
    out.config_body += block.text;
  }
  while (out.config_body.ends_with("\n\n")) out.config_body.pop_back();
  auto checked = parse_config(single_agent_config(name, out.config_body), "templates/" + name + "/template.yaml");
  if (!checked) return bad("its config entry is invalid: " + checked.error().to_string());

  for (const auto& file : files) {
    if (file.path != kTemplateFile) out.files.push_back(file);
  }
  auto has = [&out](std::string_view path) {
    return std::any_of(out.files.begin(), out.files.end(), [path](const EmbeddedFile& f) { return f.path == path; });
  };
  if (out.language == Language::kC && !has("main.c")) return bad("a C template needs main.c");
  if (out.language == Language::kGo && !(has("main.go") && has("go.mod"))) {
    return bad("a Go template needs main.go and go.mod");
  }
  return out;
}

Status write_bytes(const std::filesystem::path& file, std::string_view bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return Error(Code::kUnavailable, "cannot write the file", file.string());
  return ok();
}

Result<std::string> read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error(Code::kNotFound, "cannot read the file", file.string());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}



}  // namespace

std::string_view language_name(Language language) {
  switch (language) {
    case Language::kC: return "c";
    case Language::kGo: return "go";
  }
  return "?";
}

Result<std::vector<Template>> parse_templates(std::span<const EmbeddedFile> files) {
  std::map<std::string, std::vector<EmbeddedFile>> by_template;
  for (const auto& file : files) {
    auto slash = file.path.find('/');
    if (slash == std::string_view::npos) continue;  // templates/README.md
    by_template[std::string(file.path.substr(0, slash))].push_back({file.path.substr(slash + 1), file.bytes});
  }
  std::vector<Template> out;
  for (auto& [name, group] : by_template) {
    if (!valid_agent_name(name)) {
      return Error(Code::kInvalidArgument, "a template's name must also be a valid agent name", "templates/" + name);
    }
    std::sort(group.begin(), group.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    NAOS_ASSIGN_OR_RETURN(Template parsed, parse_template(name, group));
    out.push_back(std::move(parsed));
  }
  return out;
}

const std::vector<Template>& builtin_templates() {
  // Immutable data from the binary itself, parsed once; not a registry.
  static const std::vector<Template> templates = [] {
    auto parsed = parse_templates(embedded_template_files());
    if (!parsed) {
      std::fprintf(stderr, "naos: built-in template broken (a build bug): %s\n", parsed.error().to_string().c_str());
      std::abort();
    }
    return std::move(*parsed);
  }();
  return templates;
}

Result<const Template*> find_template(std::string_view name) { return find_template(builtin_templates(), name); }

Result<const Template*> find_template(const std::vector<Template>& templates, std::string_view name) {
  std::string names;
  const Template* closest = nullptr;
  size_t closest_distance = SIZE_MAX;
  for (const auto& t : templates) {
    if (t.name == name) return &t;
    names += (names.empty() ? "" : ", ") + t.name;
    size_t d = edit_distance(name, t.name);
    // A prefix ("research" for "researcher") is as good as a near miss.
    if (t.name.starts_with(name) && !name.empty()) d = std::min<size_t>(d, 1);
    if (d < closest_distance) closest_distance = d, closest = &t;
  }
  std::string message = "no such template";
  if (closest && closest_distance <= std::max<size_t>(2, name.size() / 3)) {
    message += "; did you mean " + closest->name + "?";
  }
  message += " (templates: " + names + ")";
  return Error(Code::kNotFound, message, std::string(name));
}

Result<std::filesystem::path> instantiate(const Template& tmpl, const std::filesystem::path& agent_dir,
                                          std::string_view agent_name) {
  if (!valid_agent_name(agent_name)) return bad_name(agent_name);
  std::error_code ec;
  bool existed = std::filesystem::exists(agent_dir, ec);
  if (existed && !(std::filesystem::is_directory(agent_dir, ec) && std::filesystem::is_empty(agent_dir, ec))) {
    return Error(Code::kAlreadyExists, "the agent folder exists and is not empty", agent_dir.string());
  }
  std::filesystem::create_directories(agent_dir, ec);
  if (ec) return Error(Code::kUnavailable, "cannot create the agent folder: " + ec.message(), agent_dir.string());

  // What to write: the template's files, then the SDK for its language
  // (unless the template brings a file of the same name).
  std::vector<std::pair<std::filesystem::path, std::string>> writes;
  std::vector<std::string> relative;
  for (const auto& file : tmpl.files) {
    writes.emplace_back(std::filesystem::path(file.path), replace_all(file.bytes, kNamePlaceholder, agent_name));
    relative.emplace_back(file.path);
  }
  std::string_view sdk_prefix = tmpl.language == Language::kC ? "c/" : "go/";
  std::filesystem::path sdk_dir = tmpl.language == Language::kC ? "" : "sdk";
  for (const auto& file : embedded_sdk_files()) {
    if (!file.path.starts_with(sdk_prefix)) continue;
    auto target = (sdk_dir / std::string(file.path.substr(sdk_prefix.size()))).generic_string();
    if (std::find(relative.begin(), relative.end(), target) != relative.end()) continue;
    writes.emplace_back(std::filesystem::path(target), std::string(file.bytes));
  }

  Status written = ok();
  for (const auto& [path, bytes] : writes) {
    auto file = agent_dir / path;
    std::filesystem::create_directories(file.parent_path(), ec);
    written = ec ? Status(Error(Code::kUnavailable, "cannot create a folder: " + ec.message(), file.parent_path().string()))
                 : write_bytes(file, bytes);
    if (!written) break;
  }
  if (!written) {
    // The folder was absent or empty: put it back that way.
    for (const auto& entry : std::filesystem::directory_iterator(agent_dir, ec)) {
      std::filesystem::remove_all(entry.path(), ec);
    }
    if (!existed) std::filesystem::remove(agent_dir, ec);
    return written.error();
  }
  auto absolute = std::filesystem::weakly_canonical(agent_dir, ec);
  return ec ? std::filesystem::absolute(agent_dir) : absolute;
}

namespace {

// The agent's entry appended to the locked config, unless the name is taken
// in the file as it is now.
Status append_agent_locked(const ConfigLock& lock, std::string_view name, std::string_view yaml_body) {
  NAOS_ASSIGN_OR_RETURN(std::string text, read_text(lock.config_file()));
  auto before = parse_config(text, lock.named_file().string());
  if (!before) {
    return Error(Code::kFailedPrecondition, "the config is invalid; fix it first: " + before.error().message(),
                 before.error().context());
  }
  if (before->agents.contains(std::string(name))) {
    return Error(Code::kAlreadyExists, "an agent with this name is already in " + lock.named_file().filename().string(),
                 std::string(name));
  }
  // The text edit, its validation and the atomic replace are set_config_entry's.
  return set_config_entry(lock, "agents", name, yaml_body);
}

}  // namespace

Status append_agent_to_config(const std::filesystem::path& config_file, std::string_view name,
                              std::string_view yaml_body) {
  if (!valid_agent_name(name)) return bad_name(name);
  NAOS_ASSIGN_OR_RETURN(ConfigLock lock, lock_config(config_file));
  return append_agent_locked(lock, name, yaml_body);
}

Result<std::filesystem::path> add_agent_from_template(const std::filesystem::path& project_root,
                                                      std::string_view agent_name, const Template& tmpl) {
  if (!valid_agent_name(agent_name)) return bad_name(agent_name);
  auto config_file = project_root / kConfigFileName;
  // Held from the check to the config edit: a second `naos create` of the
  // same name waits, then finds it taken, and never writes (or, failing,
  // removes) the sources of the first.
  NAOS_ASSIGN_OR_RETURN(ConfigLock lock, lock_config(config_file));
  NAOS_ASSIGN_OR_RETURN(Config config, load_config(config_file));
  if (config.agents.contains(std::string(agent_name))) {
    return Error(Code::kAlreadyExists, "an agent with this name is already in " + std::string(kConfigFileName),
                 std::string(agent_name));
  }
  auto agent_dir = project_root / "agents" / std::string(agent_name);
  std::error_code ec;
  bool existed = std::filesystem::exists(agent_dir, ec);
  NAOS_ASSIGN_OR_RETURN(auto created, instantiate(tmpl, agent_dir, agent_name));
  auto added = append_agent_locked(lock, agent_name, tmpl.config_body);
  if (!added) {
    for (const auto& entry : std::filesystem::directory_iterator(agent_dir, ec)) {
      std::filesystem::remove_all(entry.path(), ec);
    }
    if (!existed) std::filesystem::remove(agent_dir, ec);
    return added.error();
  }
  return created;
}

}  // namespace naos::project
