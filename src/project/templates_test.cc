// project/templates.h: the built-in templates, instantiating one, and adding
// an agent to nexus.config.yaml as a text edit. The end-to-end tests build
// every template with the real clang / go and run it in the real sandbox
// against its own `tests:`.
#include "project/templates.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <mutex>
#include <set>

#include "base/sha256.h"
#include "core/naos.h"
#include "project/builder.h"
#include "project/config.h"
#include "project/init.h"
#include "project/project.h"
#include "test_support.h"
#include "test_env.h"

namespace naos::project {
namespace {

using naos::testing::read_file;
using naos::testing::TempDir;
using naos::testing::write_file;

std::string Names(const std::vector<Template>& templates) {
  std::string out;
  for (const auto& t : templates) out += (out.empty() ? "" : ",") + t.name;
  return out;
}

bool HasFile(const Template& t, std::string_view path) {
  return std::any_of(t.files.begin(), t.files.end(), [path](const EmbeddedFile& f) { return f.path == path; });
}

// ---- the built-in set -----------------------------------------------------

TEST(TemplateCatalog, HoldsTheFiveDocumentedTemplatesSortedByName) {
  EXPECT_EQ(Names(builtin_templates()), "cron,echo,http,pipeline,researcher");
}

TEST(TemplateCatalog, EveryTemplateHasADescriptionASourceAndAReadme) {
  for (const auto& t : builtin_templates()) {
    SCOPED_TRACE(t.name);
    EXPECT_FALSE(t.description.empty());
    EXPECT_TRUE(HasFile(t, "README.md"));
    EXPECT_FALSE(HasFile(t, "template.yaml")) << "template.yaml is not copied";
    if (t.language == Language::kC) {
      EXPECT_TRUE(HasFile(t, "main.c"));
    } else {
      EXPECT_TRUE(HasFile(t, "main.go"));
      EXPECT_TRUE(HasFile(t, "go.mod"));
    }
    EXPECT_TRUE(t.config_body.starts_with("template: " + t.name + "\n")) << t.config_body;
  }
}

TEST(TemplateCatalog, ConfigBodyKeepsTheTemplatesCommentsAndDefaults) {
  auto researcher = find_template("researcher");
  ASSERT_TRUE(researcher) << researcher.error().to_string();
  const std::string& body = (*researcher)->config_body;
  EXPECT_NE(body.find("# The hosts it may read"), std::string::npos) << body;
  EXPECT_NE(body.find("network: restricted"), std::string::npos) << body;
  EXPECT_NE(body.find("kv: true"), std::string::npos) << body;
  EXPECT_EQ(body.find("description:"), std::string::npos) << body;
  EXPECT_EQ(body.find("language:"), std::string::npos) << body;

  auto config = parse_config("agents:\n  r:\n" + [&] {
    std::string indented;
    for (size_t at = 0; at < body.size();) {
      size_t nl = body.find('\n', at);
      indented += "    " + body.substr(at, nl - at) + "\n";
      at = nl + 1;
    }
    return indented;
  }(), "test");
  ASSERT_TRUE(config) << config.error().to_string();
  const auto& agent = config->agents.at("r");
  EXPECT_EQ(agent.template_name, "researcher");
  EXPECT_EQ(agent.capabilities.network, sandbox::NetworkAccess::kRestricted);
  EXPECT_EQ(agent.capabilities.allowed_hosts, std::vector<std::string>{"example.com"});
  EXPECT_TRUE(agent.capabilities.kv);
  EXPECT_TRUE(agent.capabilities.llm) << "the model writes summaries when one is configured";
  EXPECT_FALSE(agent.tests.empty());
}

TEST(TemplateCatalog, UnknownNameIsNotFoundWithTheClosestSuggested) {
  auto found = find_template("research");
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().code(), Code::kNotFound);
  EXPECT_NE(found.error().message().find("did you mean researcher?"), std::string::npos) << found.error().message();
  EXPECT_NE(found.error().message().find("echo"), std::string::npos) << "lists the templates";

  auto typo = find_template("ehco");
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message().find("did you mean echo?"), std::string::npos) << typo.error().message();

  auto far = find_template("kubernetes");
  ASSERT_FALSE(far);
  EXPECT_EQ(far.error().message().find("did you mean"), std::string::npos) << far.error().message();
}

// ---- parse_templates: a broken template is refused with its name -----------

Result<std::vector<Template>> ParseOne(std::string_view spec, std::string_view source_path = "main.c") {
  static std::vector<std::string> keep;  // EmbeddedFile borrows; the test keeps the bytes alive
  keep.emplace_back(spec);
  std::vector<EmbeddedFile> files = {{"README.md", "top"},
                                     {"t/template.yaml", keep.back()},
                                     {"t/README.md", "# t"},
                                     {source_path, "int main(void){return 0;}"}};
  return parse_templates(files);
}

void ExpectBroken(std::string_view spec, std::string_view needle, std::string_view source_path = "t/main.c") {
  auto parsed = ParseOne(spec, source_path);
  ASSERT_FALSE(parsed) << "accepted: " << spec;
  EXPECT_EQ(parsed.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(parsed.error().context(), "templates/t");
  EXPECT_NE(parsed.error().message().find(needle), std::string::npos) << parsed.error().message();
}

TEST(TemplateParse, AWellFormedTemplateParses) {
  auto parsed = ParseOne("description: d\nlanguage: c\ncapabilities: { kv: true }\n", "t/main.c");
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].config_body, "template: t\ncapabilities: { kv: true }\n");
  EXPECT_EQ((*parsed)[0].files.size(), 2u);  // README.md, main.c
}

TEST(TemplateParse, BrokenTemplatesAreRefusedNamingTheTemplate) {
  ExpectBroken("language: c\n", "description");
  ExpectBroken("description: d\nlanguage: rust\n", "language");
  ExpectBroken("description: d\nlanguage: c\ncapabilities: { network: restricted }\n", "allowedHosts");
  ExpectBroken("description: d\nlanguage: c\ncapabilitis: {}\n", "did you mean capabilities?");
  ExpectBroken("description: d\nlanguage: c\nsource: x.wasm\n", "set by naos");
  ExpectBroken("description: d\nlanguage: c\n", "needs main.c", "t/other.c");
  ExpectBroken("description: d\nlanguage: go\n", "needs main.go and go.mod");
  ExpectBroken("description: [d\n", "template.yaml");
}

// ---- instantiate ------------------------------------------------------------

TEST(TemplateInstantiate, CTemplateGetsItsSourcesAndTheSdkHeader) {
  TempDir dir;
  auto echo = find_template("echo");
  ASSERT_TRUE(echo);
  auto made = instantiate(**echo, dir.path() / "agents" / "hello", "hello");
  ASSERT_TRUE(made) << made.error().to_string();
  EXPECT_TRUE(made->is_absolute());
  EXPECT_TRUE(std::filesystem::exists(*made / "main.c"));
  EXPECT_EQ(read_file(*made / "nexus.h"), read_file(std::filesystem::path(NAOS_SOURCE_DIR) / "sdk/c/nexus.h"));
  auto readme = read_file(*made / "README.md");
  EXPECT_EQ(readme.find("{{name}}"), std::string::npos);
  EXPECT_NE(readme.find("# hello"), std::string::npos) << readme;
  EXPECT_FALSE(std::filesystem::exists(*made / "template.yaml"));
}

TEST(TemplateInstantiate, GoTemplateGetsTheGoSdkBesideItThroughReplace) {
  TempDir dir;
  auto http = find_template("http");
  ASSERT_TRUE(http);
  auto made = instantiate(**http, dir.path() / "web", "web");
  ASSERT_TRUE(made) << made.error().to_string();
  auto go_mod = read_file(*made / "go.mod");
  EXPECT_NE(go_mod.find("module naos.local/agents/web\n"), std::string::npos) << go_mod;
  EXPECT_NE(go_mod.find("replace naos.dev/sdk => ./sdk"), std::string::npos) << go_mod;
  auto sdk = std::filesystem::path(NAOS_SOURCE_DIR) / "sdk/go";
  EXPECT_EQ(read_file(*made / "sdk/go.mod"), read_file(sdk / "go.mod"));
  EXPECT_EQ(read_file(*made / "sdk/nexus/nexus.go"), read_file(sdk / "nexus/nexus.go"));
  EXPECT_FALSE(std::filesystem::exists(*made / "nexus.h"));
}

TEST(TemplateInstantiate, AnEmptyExistingFolderIsUsed) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "a");
  auto made = instantiate(**find_template("cron"), dir.path() / "a", "a");
  ASSERT_TRUE(made) << made.error().to_string();
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "a" / "main.c"));
}

TEST(TemplateInstantiate, ANonEmptyFolderIsRefusedAndLeftAlone) {
  TempDir dir;
  write_file(dir.path() / "a" / "mine.c", "mine");
  auto made = instantiate(**find_template("echo"), dir.path() / "a", "a");
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code(), Code::kAlreadyExists);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "a" / "main.c"));
  EXPECT_EQ(read_file(dir.path() / "a" / "mine.c"), "mine");
}

TEST(TemplateInstantiate, ABadAgentNameIsRefused) {
  TempDir dir;
  for (const std::string& name : std::vector<std::string>{"", "../up", "-x", "a b", std::string(65, 'a')}) {
    auto made = instantiate(**find_template("echo"), dir.path() / "x", name);
    ASSERT_FALSE(made) << name;
    EXPECT_EQ(made.error().code(), Code::kInvalidArgument) << name;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "x"));
}

// ---- append_agent_to_config ---------------------------------------------------

class TemplateAppendConfig : public ::testing::Test {
 protected:
  std::filesystem::path file() const { return dir_.path() / "nexus.config.yaml"; }

  // Appends and checks the result loads with the new agent; returns the text.
  std::string Append(const std::string& before, const std::string& name = "added",
                     const std::string& body = "template: echo\ntests:\n  - { input: ping, expect: ping }\n") {
    write_file(file(), before);
    auto status = append_agent_to_config(file(), name, body);
    EXPECT_TRUE(status) << status.error().to_string();
    auto config = load_config(file());
    EXPECT_TRUE(config) << config.error().to_string() << "\n" << read_file(file());
    if (config) {
      EXPECT_TRUE(config->agents.contains(name)) << read_file(file());
      if (config->agents.contains(name)) {
        EXPECT_EQ(config->agents.at(name).template_name, "echo");
        const auto& tests = config->agents.at(name).tests;
        EXPECT_EQ(tests.size(), 1u);
        if (!tests.empty()) {
          EXPECT_EQ(tests[0].expect, "ping");
        }
      }
    }
    return read_file(file());
  }

  // Expects the append to fail with `code` and leave the file byte for byte.
  void ExpectRefused(const std::string& before, Code code, const std::string& name = "added",
                     const std::string& body = "template: echo\n") {
    write_file(file(), before);
    auto status = append_agent_to_config(file(), name, body);
    ASSERT_FALSE(status) << "accepted:\n" << read_file(file());
    EXPECT_EQ(status.error().code(), code) << status.error().to_string();
    EXPECT_EQ(read_file(file()), before);
  }

  TempDir dir_;
};

TEST_F(TemplateAppendConfig, NoAgentsKeyGetsOneAtTheEnd) {
  auto after = Append("# my project\nname: demo   # the name\nexecution:\n  timeout: 10s\n");
  EXPECT_EQ(after,
            "# my project\nname: demo   # the name\nexecution:\n  timeout: 10s\n"
            "agents:\n  added:\n    template: echo\n    tests:\n      - { input: ping, expect: ping }\n");
}

TEST_F(TemplateAppendConfig, AFileWithoutAFinalNewlineStaysWellFormed) {
  auto after = Append("name: demo");
  EXPECT_TRUE(after.starts_with("name: demo\nagents:\n  added:\n")) << after;
}

TEST_F(TemplateAppendConfig, EntryGoesAfterTheLastAgentBeforeTheNextSectionsComment) {
  std::string before =
      "name: demo\n"
      "agents:\n"
      "  # the first agent\n"
      "  first:\n"
      "    source: first.wasm   # prebuilt\n"
      "\n"
      "# dashboard settings\n"
      "dashboard: { port: 4200 }\n";
  auto after = Append(before);
  EXPECT_EQ(after,
            "name: demo\n"
            "agents:\n"
            "  # the first agent\n"
            "  first:\n"
            "    source: first.wasm   # prebuilt\n"
            "  added:\n"
            "    template: echo\n"
            "    tests:\n"
            "      - { input: ping, expect: ping }\n"
            "\n"
            "# dashboard settings\n"
            "dashboard: { port: 4200 }\n");
}

TEST_F(TemplateAppendConfig, EntryIsIndentedLikeTheOthers) {
  auto after = Append("agents:\n    first:\n        source: first.wasm\n");
  EXPECT_NE(after.find("\n    added:\n      template: echo\n"), std::string::npos) << after;
}

TEST_F(TemplateAppendConfig, EmptyAgentsKeyGetsTheEntryBelowIt) {
  auto after = Append("agents:   # none yet\nname: demo\n");
  EXPECT_TRUE(after.starts_with("agents:   # none yet\n  added:\n    template: echo\n")) << after;
  EXPECT_TRUE(after.ends_with("name: demo\n")) << after;
}

TEST_F(TemplateAppendConfig, InlineEmptyMappingBecomesABlock) {
  auto after = Append("name: demo\nagents: {}  # none yet\n");
  EXPECT_EQ(after,
            "name: demo\nagents: # none yet\n  added:\n    template: echo\n    tests:\n"
            "      - { input: ping, expect: ping }\n");
  Append("name: demo\nagents: ~\n", "other");
}

TEST_F(TemplateAppendConfig, OneLineFlowMappingBecomesABlockHoldingTheEntry) {
  // project/config_edit.h: one entry per line, in flow style, then the new one.
  auto after = Append("agents: { first: { source: first.wasm } }   # inline\nname: demo\n");
  EXPECT_TRUE(after.starts_with("agents: # inline\n  first: {source: first.wasm}\n  added:\n")) << after;
  EXPECT_TRUE(after.ends_with("name: demo\n")) << after;
  auto config = load_config(file());
  ASSERT_TRUE(config);
  EXPECT_EQ(config->agents.at("first").source, "first.wasm");
}

TEST_F(TemplateAppendConfig, CrlfFilesKeepCrlf) {
  auto after = Append("name: demo\r\nagents:\r\n  first:\r\n    source: f.wasm\r\n");
  EXPECT_NE(after.find("  added:\r\n    template: echo\r\n"), std::string::npos) << after;
}

TEST_F(TemplateAppendConfig, TheInitialConfigTakesAnAgentAndKeepsItsComments) {
  auto before = initial_config("demo");
  auto after = Append(before);
  EXPECT_TRUE(after.starts_with(before)) << after;
  EXPECT_TRUE(after.ends_with("agents:\n  added:\n    template: echo\n    tests:\n      - { input: ping, expect: ping }\n"))
      << after;
}

TEST_F(TemplateAppendConfig, RefusalsLeaveTheFileAsItWas) {
  // A name already taken.
  ExpectRefused("agents:\n  added: { source: a.wasm }\n", Code::kAlreadyExists);
  // An entry that would not validate.
  ExpectRefused("name: demo\nagents:\n", Code::kInvalidArgument, "added", "capabilities: { network: restricted }\n");
  ExpectRefused("name: demo\n", Code::kInvalidArgument, "added", "executoin: {}\n");
  // A config that is already invalid.
  ExpectRefused("name: demo\nagentz:\n", Code::kFailedPrecondition);
  // A flow mapping over several lines.
  ExpectRefused("agents: {\n  a: { source: a.wasm } }\n", Code::kFailedPrecondition);
  // A bad name.
  ExpectRefused("agents:\n", Code::kInvalidArgument, "no/slash");
}

TEST_F(TemplateAppendConfig, AMissingFileIsNotFound) {
  auto status = append_agent_to_config(file(), "a", "template: echo\n");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), Code::kNotFound);
}

TEST(TemplateAddAgent, AddsTheFolderAndTheEntryOrNeither) {
  TempDir dir;
  auto root = init_project(dir.path() / "p", "");
  ASSERT_TRUE(root) << root.error().to_string();
  auto added = add_agent_from_template(*root, "hello", **find_template("echo"));
  ASSERT_TRUE(added) << added.error().to_string();
  EXPECT_EQ(*added, *root / "agents" / "hello");
  auto project = Project::open(*root);
  ASSERT_TRUE(project) << project.error().to_string();
  EXPECT_EQ(project->config().agents.at("hello").template_name, "echo");

  // The same name again: refused before anything is written.
  auto again = add_agent_from_template(*root, "hello", **find_template("cron"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), Code::kAlreadyExists);
  EXPECT_FALSE(read_file(*root / "agents" / "hello" / "main.c").find("tick") != std::string::npos);

  // A config edit that fails removes the new folder again.
  write_file(*root / "nexus.config.yaml", "agents: {\n  hello: {} }\n");
  auto refused = add_agent_from_template(*root, "second", **find_template("echo"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kFailedPrecondition);
  EXPECT_FALSE(std::filesystem::exists(*root / "agents" / "second"));
}

// ---- end to end: every template builds and passes its own tests ---------------

// A project with one agent made from a template and built with the real tools.
struct BuiltAgent {
  TempDir dir;
  std::filesystem::path root;
  BuildResult build;
};

// `edit_body` may change the template's config entry (allowedHosts for a test server).
void MakeAgent(BuiltAgent& out, const std::string& template_name, const std::string& agent,
               const std::function<std::string(std::string)>& edit_body = nullptr) {
  auto root = init_project(out.dir.path() / "project", "e2e");
  ASSERT_TRUE(root) << root.error().to_string();
  out.root = *root;
  auto tmpl = find_template(template_name);
  ASSERT_TRUE(tmpl) << tmpl.error().to_string();
  Template copy = **tmpl;
  if (edit_body) copy.config_body = edit_body(copy.config_body);
  auto added = add_agent_from_template(out.root, agent, copy);
  ASSERT_TRUE(added) << added.error().to_string();
  auto tools = BuildTools::find(process_environment());
  auto built = build_agent(*added, agent, tools);
  ASSERT_TRUE(built) << built.error().to_string();
  out.build = std::move(*built);
}

// Runs agents of a project through the one core API, as `naos run` does.
class Runner {
 public:
  explicit Runner(const std::filesystem::path& root) {
    auto project = Project::open(root);
    EXPECT_TRUE(project) << project.error().to_string();
    if (!project) return;
    auto naos = Naos::open(std::move(*project), clock_, testing::env_lookup());
    EXPECT_TRUE(naos) << naos.error().to_string();
    if (naos) naos_ = std::move(*naos);
  }
  sandbox::RunOutcome run(const std::string& agent, const std::string& input) {
    if (!naos_) {
      ADD_FAILURE() << "no Naos";
      return {};
    }
    RunOptions options;
    options.input = input;
    auto run = naos_->run(agent, options);
    EXPECT_TRUE(run) << run.error().to_string();
    return run ? run->outcome : sandbox::RunOutcome{};
  }
  const Config& config() const { return naos_->project()->config(); }

 private:
  SystemClock clock_;
  std::unique_ptr<Naos> naos_;
};

class TemplateAgent : public ::testing::TestWithParam<std::string> {};

TEST_P(TemplateAgent, BuildsWithTheRealToolchainAndPassesItsOwnTests) {
  const std::string name = GetParam();
  BuiltAgent agent;
  ASSERT_NO_FATAL_FAILURE(MakeAgent(agent, name, "my-" + name));
  EXPECT_TRUE(agent.build.compiled);
  EXPECT_EQ(agent.build.kind, (*find_template(name))->language == Language::kC ? SourceKind::kC : SourceKind::kGo);
  EXPECT_EQ(agent.build.module_file, agent.root / "agents" / ("my-" + name) / ("my-" + name + ".wasm"));
  EXPECT_EQ(agent.build.module_hash, sha256_hex(read_file(agent.build.module_file)));

  Runner runner(agent.root);
  const auto& config = runner.config().agents.at("my-" + name);
  ASSERT_FALSE(config.tests.empty()) << "every template ships at least one example";
  for (const auto& test : config.tests) {
    SCOPED_TRACE("input: " + test.input);
    auto outcome = runner.run("my-" + name, test.input);
    EXPECT_TRUE(outcome.ok()) << sandbox::failure_name(outcome.failure) << ": " << outcome.message;
    EXPECT_EQ(outcome.output, test.expect);
  }
}

INSTANTIATE_TEST_SUITE_P(Template, TemplateAgent,
                         ::testing::Values("echo", "http", "cron", "pipeline", "researcher"),
                         [](const auto& info) { return info.param; });

TEST(TemplateBehaviour, CronCountsItsTicksInKv) {
  BuiltAgent agent;
  ASSERT_NO_FATAL_FAILURE(MakeAgent(agent, "cron", "nightly"));
  Runner runner(agent.root);
  EXPECT_EQ(runner.run("nightly", "").output, "tick 1");
  EXPECT_EQ(runner.run("nightly", "ping").output, "pong");  // a health check does not tick
  EXPECT_EQ(runner.run("nightly", "").output, "tick 2");
  auto log = read_file(agent.root / "data" / "logs" / "nightly.log");
  EXPECT_NE(log.find("tick 1: first run"), std::string::npos) << log;
  EXPECT_NE(log.find("ms since the last run"), std::string::npos) << log;
}

TEST(TemplateBehaviour, HttpAnswersBadRequestsWithStatusCodes) {
  BuiltAgent agent;
  ASSERT_NO_FATAL_FAILURE(MakeAgent(agent, "http", "api"));
  Runner runner(agent.root);
  auto status_of = [&](const std::string& input) {
    auto outcome = runner.run("api", input);
    EXPECT_TRUE(outcome.ok()) << outcome.message;
    auto json = nlohmann::json::parse(outcome.output, nullptr, false);
    EXPECT_FALSE(json.is_discarded()) << outcome.output;
    return json.is_discarded() ? 0 : json.value("status", 0);
  };
  EXPECT_EQ(status_of("not json"), 400);
  EXPECT_EQ(status_of(""), 400);
  EXPECT_EQ(status_of(R"({"method":"GET","path":"no-slash"})"), 400);
  EXPECT_EQ(status_of(R"({"method":"DELETE","path":"/echo"})"), 405);
  EXPECT_EQ(status_of(R"({"path":"/health"})"), 200);
  auto echoed = runner.run("api", R"({"method":"post","path":"/echo","body":"<b>\"quoted\" & more</b>"})");
  EXPECT_EQ(echoed.output, R"({"status":200,"body":"<b>\"quoted\" & more</b>"})");
}

TEST(TemplateBehaviour, ResearcherReadsAPageKeepsANoteAndAnswersFromIt) {
  naos::testing::LocalHttpServer server;
  server.server().Get("/page", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        "<html><head><title>Example &amp; Domain</title><style>p{}</style></head><body>"
        "<h1>Example Domain</h1><p>This domain is for use in illustrative examples in documents.</p>"
        "<script>var hidden = 1;</script></body></html>",
        "text/html");
  });
  server.server().Get("/missing", [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
  server.start();
  std::string host = "\"127.0.0.1:" + std::to_string(server.port()) + "\"";

  BuiltAgent agent;
  ASSERT_NO_FATAL_FAILURE(MakeAgent(agent, "researcher", "scout", [&](std::string body) {
    auto at = body.find("[example.com]");
    EXPECT_NE(at, std::string::npos) << body;
    return body.replace(at, 13, "[" + host + "]");
  }));
  Runner runner(agent.root);

  auto read = runner.run("scout", server.url("/page"));
  ASSERT_TRUE(read.ok()) << read.message;
  auto note = nlohmann::json::parse(read.output);
  EXPECT_EQ(note["title"], "Example & Domain");
  EXPECT_EQ(note["status"], 200);
  EXPECT_EQ(note["words"], 12);
  EXPECT_EQ(note["summary"], "Example Domain This domain is for use in illustrative examples in documents.");

  auto answer = runner.run("scout", "What is this domain for?");
  ASSERT_TRUE(answer.ok()) << answer.message;
  auto json = nlohmann::json::parse(answer.output);
  EXPECT_EQ(json["source"], server.url("/page"));
  EXPECT_NE(json["answer"].get<std::string>().find("illustrative examples"), std::string::npos) << answer.output;

  auto nothing = runner.run("scout", "quantum chromodynamics");
  EXPECT_EQ(nlohmann::json::parse(nothing.output).count("source"), 0u) << nothing.output;

  auto missing = runner.run("scout", server.url("/missing"));
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(missing.exit_status, 1);

  // A host outside allowedHosts is denied by the sandbox, and the agent fails.
  auto denied = runner.run("scout", "http://localhost:" + std::to_string(server.port()) + "/page");
  EXPECT_FALSE(denied.ok());
  EXPECT_FALSE(denied.denials.empty());
}

// With a model configured (broker.llm), the researcher's summary and answer
// are the model's: a fake vendor on 127.0.0.1 speaks the Messages API.
TEST(TemplateAgentResearcher, WithAModelTheModelWritesTheSummaryAndTheAnswer) {
  naos::testing::LocalHttpServer pages;
  pages.server().Get("/page", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<html><head><title>Example</title></head><body><p>Plain words here.</p></body></html>",
                    "text/html");
  });
  pages.start();
  std::vector<std::string> prompts;
  std::mutex mutex;
  naos::testing::LocalHttpServer vendor;
  vendor.server().Post("/v1/messages", [&](const httplib::Request& req, httplib::Response& res) {
    auto body = nlohmann::json::parse(req.body);
    std::string prompt = body["messages"][0]["content"];
    {
      std::lock_guard lock(mutex);
      prompts.push_back(prompt);
    }
    std::string text = prompt.starts_with("Note on") ? "It is for examples." : "A page of plain words.";
    res.set_content(nlohmann::json{{"type", "message"},
                                   {"model", "claude-3-haiku"},
                                   {"content", {{{"type", "text"}, {"text", text}}}},
                                   {"stop_reason", "end_turn"},
                                   {"usage", {{"input_tokens", 40}, {"output_tokens", 6}}}}
                        .dump(),
                    "application/json");
  });
  vendor.start();

  BuiltAgent agent;
  std::string host = "\"127.0.0.1:" + std::to_string(pages.port()) + "\"";
  ASSERT_NO_FATAL_FAILURE(MakeAgent(agent, "researcher", "scout", [&](std::string body) {
    return body.replace(body.find("[example.com]"), 13, "[" + host + "]");
  }));
  std::ofstream(agent.root / "nexus.config.yaml", std::ios::app)
      << "llm:\n  providers:\n    anthropic: { baseUrl: \"http://127.0.0.1:" << vendor.port()
      << "\" }\nbroker:\n  llm: { provider: anthropic, model: claude-3-haiku }\ncost:\n  models:\n"
      << "    claude-3-haiku: { inputCostPer1k: \"0.00025\", outputCostPer1k: \"0.00125\" }\n";
  Runner runner(agent.root);

  auto read = runner.run("scout", pages.url("/page"));
  ASSERT_TRUE(read.ok()) << read.message;
  EXPECT_EQ(nlohmann::json::parse(read.output)["summary"], "A page of plain words.");
  auto answer = runner.run("scout", "What are the plain words for?");
  ASSERT_TRUE(answer.ok()) << answer.message;
  EXPECT_EQ(nlohmann::json::parse(answer.output)["answer"], "It is for examples.");
  std::lock_guard lock(mutex);
  ASSERT_EQ(prompts.size(), 2u);
  EXPECT_NE(prompts[0].find("Plain words here."), std::string::npos) << prompts[0];
  EXPECT_NE(prompts[1].find("Question: What are the plain words for?"), std::string::npos) << prompts[1];
}

}  // namespace
}  // namespace naos::project
