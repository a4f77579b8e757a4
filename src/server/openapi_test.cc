#include "server/openapi.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/naos.h"
#include "server/api_server.h"
#include "test_env.h"
#include "test_support.h"

namespace naos::server {
namespace {

TEST(OpenApi, PathTemplatesBecomeTheRoutesRegexes) {
  EXPECT_EQ(route_pattern("/api/v1/agents"), "/api/v1/agents");
  EXPECT_EQ(route_pattern("/api/v1/agents/{name}/logs"), "/api/v1/agents/([^/]+)/logs");
  // A run id may be nested (PARENT/STEP#ATTEMPT): the rest of the path.
  EXPECT_EQ(route_pattern("/api/v1/runs/{id}/resume"), "/api/v1/runs/(.+)/resume");
  EXPECT_EQ(route_pattern("/api/v1/openapi.json"), "/api/v1/openapi\\.json");
}

// Every $ref in `node` names a schema of the document.
void ExpectRefsResolve(const nlohmann::json& node, const nlohmann::json& schemas) {
  if (node.is_object()) {
    if (node.contains("$ref")) {
      std::string ref = node["$ref"];
      const std::string prefix = "#/components/schemas/";
      ASSERT_TRUE(ref.starts_with(prefix)) << ref;
      EXPECT_TRUE(schemas.contains(ref.substr(prefix.size()))) << "unresolved " << ref;
    }
    for (const auto& [key, value] : node.items()) ExpectRefsResolve(value, schemas);
  } else if (node.is_array()) {
    for (const auto& value : node) ExpectRefsResolve(value, schemas);
  }
}

TEST(OpenApi, TheDocumentIsOpenApi31AndItsReferencesResolve) {
  auto doc = nlohmann::json::parse(openapi_document(), nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_EQ(doc["openapi"], "3.1.0");
  ASSERT_TRUE(doc["paths"].is_object());
  ExpectRefsResolve(doc, doc["components"]["schemas"]);
  std::set<std::string> operation_ids;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      EXPECT_TRUE(operation.contains("responses")) << method << " " << path;
      std::string id = operation.value("operationId", "");
      EXPECT_FALSE(id.empty()) << method << " " << path;
      EXPECT_TRUE(operation_ids.insert(id).second) << "operationId used twice: " << id;
      // A path parameter is declared for every {name} in the path.
      for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{', open + 1)) {
        std::string param = path.substr(open + 1, path.find('}', open) - open - 1);
        bool declared = false;
        for (const auto& p : operation.value("parameters", nlohmann::json::array())) {
          declared |= p["in"] == "path" && p["name"] == param;
        }
        EXPECT_TRUE(declared) << method << " " << path << " does not declare {" << param << "}";
      }
    }
  }
}

// The server's routes are the document's operations, no more and no fewer.
TEST(OpenApi, EveryRouteOfTheServerIsDocumentedAndEveryDocumentedOneIsARoute) {
  testing::TempDir dir;
  testing::FakeClock clock;
  auto naos = testing::open_project(dir.path(), "name: routes\n", clock);
  ASSERT_TRUE(naos) << naos.error().to_string();
  auto server = ApiServer::create(std::move(*naos), {});
  ASSERT_TRUE(server) << server.error().to_string();

  std::set<std::pair<std::string, std::string>> routes;
  for (const auto& [method, path] : (*server)->routes()) {
    EXPECT_TRUE(routes.emplace(method, path).second) << "registered twice: " << method << " " << path;
  }
  std::set<std::pair<std::string, std::string>> documented;
  auto doc = nlohmann::json::parse(openapi_document());
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      std::string upper;
      for (char c : method) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.emplace(upper, path);
    }
  }
  for (const auto& route : routes) {
    EXPECT_TRUE(documented.count(route)) << "not in openapi.json: " << route.first << " " << route.second;
  }
  for (const auto& operation : documented) {
    EXPECT_TRUE(routes.count(operation)) << "documented but not served: " << operation.first << " " << operation.second;
  }
  EXPECT_GE(routes.size(), 15u);
}

}  // namespace
}  // namespace naos::server
