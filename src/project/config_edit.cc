#include "project/config_edit.h"

#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "base/file.h"
#include "project/config.h"

namespace naos::project {
namespace {

// config.cc's rule for every name in the file: 1-64 letters, digits, '-' or
// '_', starting with a letter or digit. Checked before editing, so a name
// can never break the text it is written into.
bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string_view without_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Lines without their '\n' (a '\r' stays); a last line without '\n' counts.
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

size_t indent_of(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[n] == ' ') ++n;
  return n;
}

// A line that starts a top-level key: column 0, not a comment or a document marker.
bool is_top_level(std::string_view line) {
  if (line.empty() || line.front() == ' ' || line.front() == '\t' || line.front() == '#' || line.front() == '\r') {
    return false;
  }
  return !(line.starts_with("---") || line.starts_with("..."));
}

// Where a comment starts in `line` ('#' at the start or after whitespace,
// outside quotes), or npos.
size_t comment_start(std::string_view line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return i;
    }
  }
  return std::string_view::npos;
}

// The key of a `key: ...` line (quotes removed), or nullopt for a line that
// is not a mapping key at its indentation.
std::optional<std::string> key_of(std::string_view line) {
  std::string_view rest = trim(line);
  if (rest.empty() || rest.front() == '#' || rest.front() == '-') return std::nullopt;
  std::string key;
  if (rest.front() == '"' || rest.front() == '\'') {
    size_t close = rest.find(rest.front(), 1);
    if (close == std::string_view::npos) return std::nullopt;
    key = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
  } else {
    size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    key = std::string(trim(rest.substr(0, colon)));
    rest.remove_prefix(colon);
  }
  rest = trim(rest);
  if (rest.empty() || rest.front() != ':') return std::nullopt;
  if (rest.size() > 1 && rest[1] != ' ' && rest[1] != '\t') return std::nullopt;  // "a:b" is a scalar
  return key;
}

// A node as flow-style YAML text, for one-line entries and for comparing
// two parses of the same data.
std::string flow_text(const YAML::Node& node) {
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << node;
  return out.c_str();
}

class TextEdit {
 public:
  explicit TextEdit(std::string_view text)
      : crlf_(text.find("\r\n") != std::string_view::npos), lines_(split_lines(text)) {}

  Result<std::string> set(std::string_view section, std::string_view name, std::string_view body) {
    auto key = find_section(section);
    if (!key) {
      lines_.push_back(line(std::string(section) + ":"));
      auto entry = entry_lines(name, body, 2);
      lines_.insert(lines_.end(), entry.begin(), entry.end());
      return joined();
    }
    NAOS_TRY(make_block(*key, section));
    size_t end = *key + 1;
    while (end < lines_.size() && !is_top_level(lines_[end])) ++end;

    // The entries: lines at the section's entry indentation that hold a key.
    size_t entry_indent = 0;
    size_t last_content = *key;
    for (size_t i = *key + 1; i < end; ++i) {
      if (is_blank_or_comment(lines_[i])) continue;
      if (entry_indent == 0) entry_indent = indent_of(lines_[i]);
      last_content = i;
    }
    if (entry_indent == 0) entry_indent = 2;
    for (size_t i = *key + 1; i < end; ++i) {
      if (is_blank_or_comment(lines_[i]) || indent_of(lines_[i]) != entry_indent) continue;
      auto found = key_of(lines_[i]);
      if (!found || *found != name) continue;
      // Replace from its key line to its last line indented deeper.
      size_t last = i;
      for (size_t j = i + 1; j < end; ++j) {
        if (is_blank_or_comment(lines_[j])) continue;
        if (indent_of(lines_[j]) <= entry_indent) break;
        last = j;
      }
      auto entry = entry_lines(name, body, entry_indent);
      lines_.erase(lines_.begin() + static_cast<std::ptrdiff_t>(i), lines_.begin() + static_cast<std::ptrdiff_t>(last + 1));
      lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(i), entry.begin(), entry.end());
      return joined();
    }
    // New: after the section's last indented line, so comments at column 0
    // before the next key stay with that key.
    auto entry = entry_lines(name, body, entry_indent);
    lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(last_content + 1), entry.begin(), entry.end());
    return joined();
  }

 private:
  std::optional<size_t> find_section(std::string_view section) const {
    for (size_t i = 0; i < lines_.size(); ++i) {
      if (!is_top_level(lines_[i])) continue;
      auto key = key_of(lines_[i]);
      if (key && *key == section) return i;
    }
    return std::nullopt;
  }

  // Leaves the section key line as a bare `section:` (keeping its comment)
  // with its entries in block form below it.
  Status make_block(size_t key, std::string_view section) {
    std::string_view text = without_cr(lines_[key]);
    size_t colon = text.find(':');
    std::string_view after = text.substr(colon + 1);
    size_t hash = comment_start(after);
    std::string_view value = trim(after.substr(0, hash == std::string_view::npos ? after.size() : hash));
    std::string comment = hash == std::string_view::npos ? "" : " " + std::string(trim(after.substr(hash)));
    if (value.empty()) return ok();
    if (value == "{}" || value == "~" || value == "null" || value == "Null" || value == "NULL") {
      lines_[key] = line(std::string(section) + ":" + comment);
      return ok();
    }
    if (value.front() == '{' && value.back() == '}') {
      YAML::Node node;
      try {
        node = YAML::Load(std::string(value));
      } catch (const YAML::Exception& e) {
        return Error(Code::kFailedPrecondition, std::string(section) + ": is not valid YAML: " + e.msg);
      }
      if (!node.IsMap()) return Error(Code::kFailedPrecondition, std::string(section) + ": is not a mapping");
      std::vector<std::string> block = {line(std::string(section) + ":" + comment)};
      for (const auto& item : node) {
        block.push_back(line("  " + item.first.Scalar() + ": " + flow_text(item.second)));
      }
      lines_.erase(lines_.begin() + static_cast<std::ptrdiff_t>(key));
      lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(key), block.begin(), block.end());
      return ok();
    }
    if (value.front() == '{') {
      return Error(Code::kFailedPrecondition,
                   std::string(section) + ": is a flow mapping over several lines; write it as a block (one entry "
                   "per line under " + std::string(section) + ":) so naos can edit it");
    }
    return Error(Code::kFailedPrecondition, std::string(section) + ": is written in a form naos cannot edit (" +
                                                std::string(value) + "); write it as a block, one entry per line");
  }

  std::vector<std::string> entry_lines(std::string_view name, std::string_view body, size_t entry_indent) const {
    std::string pad(entry_indent, ' ');
    std::vector<std::string> body_lines;
    for (const auto& l : split_lines(body)) body_lines.emplace_back(without_cr(l));
    while (!body_lines.empty() && trim(body_lines.back()).empty()) body_lines.pop_back();
    if (body_lines.empty()) return {line(pad + std::string(name) + ": {}")};
    std::vector<std::string> out = {line(pad + std::string(name) + ":")};
    for (const auto& l : body_lines) out.push_back(line(trim(l).empty() ? "" : pad + "  " + l));
    return out;
  }

  std::string line(std::string text) const { return crlf_ ? text + "\r" : text; }

  std::string joined() const {
    std::string out;
    for (const auto& l : lines_) out += l + "\n";
    return out;
  }

  bool crlf_;
  std::vector<std::string> lines_;
};

// Every entry and section but section.name is as it was, and section.name
// holds exactly `body`.
Status check_only_entry_changed(const std::string& before, const std::string& after, std::string_view section,
                                std::string_view name, std::string_view body) {
  // Const nodes: operator[] on a non-const node may add the key it looks for.
  YAML::Node loaded_before, loaded_after, loaded_body;
  try {
    loaded_before = YAML::Load(before);
    loaded_after = YAML::Load(after);
    loaded_body = YAML::Load(std::string(body));
  } catch (const YAML::Exception& e) {
    return Error(Code::kInternal, "the edited config could not be read back: " + e.msg);
  }
  const YAML::Node& old_root = loaded_before;
  const YAML::Node& new_root = loaded_after;
  const YAML::Node& wanted = loaded_body;
  auto changed = [](const std::string& what) {
    return Error(Code::kInternal, "the edit changed " + what + "; the file was left alone");
  };
  const std::string section_key(section), name_key(name);
  for (const auto& item : old_root) {
    std::string key = item.first.Scalar();
    if (key == section_key) continue;
    if (!new_root[key] || flow_text(new_root[key]) != flow_text(item.second)) return changed(key);
  }
  if (new_root.size() != old_root.size() + (old_root[section_key] ? 0 : 1)) return changed("the top-level keys");
  const YAML::Node old_section = old_root[section_key];
  const YAML::Node new_section = new_root[section_key];
  if (!new_section || !new_section.IsMap()) return changed(section_key);
  size_t kept = 0;
  if (old_section && old_section.IsMap()) {
    for (const auto& item : old_section) {
      std::string key = item.first.Scalar();
      if (key == name_key) continue;
      ++kept;
      if (!new_section[key] || flow_text(new_section[key]) != flow_text(item.second)) {
        return changed(section_key + "." + key);
      }
    }
  }
  if (new_section.size() != kept + 1) return changed("the entries of " + section_key);
  const YAML::Node entry = new_section[name_key];
  if (!entry) return changed(section_key + "." + name_key);
  bool empty_body = wanted.IsNull() && entry.IsMap() && entry.size() == 0;
  if (!empty_body && flow_text(entry) != flow_text(wanted)) {
    return changed(section_key + "." + name_key + " into something other than what was asked");
  }
  return ok();
}

// Writes `bytes` to a synced sibling temporary with the file's permissions,
// then renames it over the file: readers see the old or the new file, whole.
Status replace_file(const std::filesystem::path& file, std::string_view bytes) {
  std::filesystem::path temporary = file;
  temporary += "." + std::to_string(::getpid()) + ".edit";
  std::error_code ec;
  auto perms = std::filesystem::status(file, ec).permissions();
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Error(Code::kUnavailable, std::string("cannot write the config: ") + std::strerror(errno),
                 temporary.string());
  }
  bool failed = !write_all(fd, bytes);
  int saved = errno;
  if (!failed && ::fsync(fd) != 0) {
    failed = true;
    saved = errno;
  }
  ::close(fd);
  if (failed) {
    std::filesystem::remove(temporary, ec);
    return Error(Code::kUnavailable, std::string("cannot write the config: ") + std::strerror(saved), file.string());
  }
  std::filesystem::permissions(temporary, perms, ec);
  std::filesystem::rename(temporary, file, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    return Error(Code::kUnavailable, "cannot replace the config: " + ec.message(), file.string());
  }
  return ok();
}

}  // namespace

Result<std::string> set_entry_in_text(std::string_view text, std::string_view section, std::string_view name,
                                      std::string_view yaml_body) {
  if (!valid_name(section)) return Error(Code::kInvalidArgument, "not a section name", std::string(section));
  if (!valid_name(name)) {
    return Error(Code::kInvalidArgument, "a name is 1-64 letters, digits, '-' or '_', starting with a letter or digit",
                 std::string(name));
  }
  if (yaml_body.find('\t') != std::string_view::npos) {
    return Error(Code::kInvalidArgument, "the entry's YAML contains a tab; YAML indents with spaces",
                 std::string(section) + "." + std::string(name));
  }
  return TextEdit(text).set(section, name, yaml_body);
}

Result<ConfigLock> lock_config(const std::filesystem::path& config_file) {
  std::error_code ec;
  // Edit what a symlink points to, so the link stays a link.
  std::filesystem::path file = std::filesystem::is_symlink(config_file, ec)
                                   ? std::filesystem::canonical(config_file, ec)
                                   : config_file;
  if (ec || !std::filesystem::is_regular_file(file, ec)) {
    return Error(Code::kNotFound, "no config file", config_file.string());
  }
  // Not the config itself: an edit renames a new file over it, and a lock
  // on the old inode would not exclude a process that opened the new one.
  std::filesystem::path lock_file = file.parent_path() / ("." + file.filename().string() + ".lock");
  NAOS_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(lock_file));
  return ConfigLock(std::move(lock), std::move(file), config_file);
}

Status set_config_entry(const ConfigLock& lock, std::string_view section, std::string_view name,
                        std::string_view yaml_body) {
  const std::filesystem::path& file = lock.config_file();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return Error(Code::kNotFound, "no config file", lock.named_file().string());
  }
  NAOS_ASSIGN_OR_RETURN(std::string text, read_file(file, "config file"));
  const std::string label = lock.named_file().filename().string();
  auto before = parse_config(text, label);
  if (!before) {
    return Error(Code::kFailedPrecondition, "the config is invalid; fix it first: " + before.error().message(),
                 before.error().context());
  }
  NAOS_ASSIGN_OR_RETURN(std::string edited, set_entry_in_text(text, section, name, yaml_body));
  auto after = parse_config(edited, label);
  if (!after) {
    return Error(Code::kInvalidArgument, "the change would make the config invalid: " + after.error().message(),
                 after.error().context());
  }
  NAOS_TRY(check_only_entry_changed(text, edited, section, name, yaml_body));
  return replace_file(file, edited);
}

Status set_config_entry(const std::filesystem::path& config_file, std::string_view section, std::string_view name,
                        std::string_view yaml_body) {
  NAOS_ASSIGN_OR_RETURN(ConfigLock lock, lock_config(config_file));
  return set_config_entry(lock, section, name, yaml_body);
}

}  // namespace naos::project
