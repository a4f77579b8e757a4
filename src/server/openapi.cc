#include "server/openapi.h"

namespace naos::server {

std::string route_pattern(std::string_view path_template) {
  std::string pattern;
  size_t i = 0;
  while (i < path_template.size()) {
    char c = path_template[i];
    if (c == '{') {
      size_t close = path_template.find('}', i);
      std::string_view name = path_template.substr(i + 1, close - i - 1);
      pattern += name == "id" ? "(.+)" : "([^/]+)";
      i = close + 1;
      continue;
    }
    if (c == '.') pattern += '\\';
    pattern += c;
    ++i;
  }
  return pattern;
}

}  // namespace naos::server
