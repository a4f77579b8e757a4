// The OpenAPI 3.1 document of the API (src/server/openapi.json, compiled
// in), served at GET /api/v1/openapi.json. Its paths are the server's
// routes: ApiServer registers each handler under a path of the document, and
// a test checks both ways.
#pragma once

#include <string>
#include <string_view>

namespace naos::server {

// The document's text (JSON).
std::string_view openapi_document();

// An OpenAPI path template as the regex the HTTP server routes by: a
// `{param}` matches one segment, `{id}` (a run id, which may be nested:
// PARENT/STEP#ATTEMPT) the rest of the path.
std::string route_pattern(std::string_view path_template);

}  // namespace naos::server
