#include "project/config_values.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace naos::project {
namespace {

bool variable_char(unsigned char c) { return std::isalnum(c) || c == '_'; }

bool valid_variable(std::string_view name) {
  return !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) { return variable_char(c) && c < 0x80; });
}

}  // namespace

std::optional<std::string> env_name_problem(std::string_view name) {
  const std::string form = "letters, digits and _, not starting with a digit";
  if (name.empty()) return "an environment variable name cannot be empty";
  if (name.find('*') != std::string_view::npos || name.find('?') != std::string_view::npos) {
    return "\"" + printable(name) + "\" is a pattern; list each variable by its name (" + form +
           "): a grant never covers variables it does not name";
  }
  if (size_t equals = name.find('='); equals != std::string_view::npos) {
    std::string message = "\"" + printable(name) +
                          "\" is an assignment; env lists the names of host variables passed through, not values";
    if (valid_variable(name.substr(0, equals))) message += "; did you mean " + std::string(name.substr(0, equals)) + "?";
    return message;
  }
  if (!valid_variable(name)) return "expected the name of an environment variable (" + form + "), got \"" + printable(name) + "\"";
  return std::nullopt;
}

std::optional<std::string> module_source_problem(std::string_view source) {
  if (source.empty()) return "expected the path of a module";
  if (source.find('\0') != std::string_view::npos) return "a path cannot contain a NUL byte";
  std::filesystem::path file{std::string(source)};
  for (const auto& part : file) {
    if (part == "..") return "must stay inside the project (a project-relative path without ..), got \"" + printable(source) + "\"";
  }
  if (file.is_absolute() && !source.ends_with(".wasm") && !source.ends_with(".wat")) {
    return "must be a module inside the project (project-relative, like agents/NAME/NAME.wasm) or the absolute "
           "path of a .wasm or .wat file, got \"" + printable(source) + "\"";
  }
  return std::nullopt;
}

std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

}  // namespace naos::project
