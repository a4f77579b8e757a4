#include "project/yaml_bounds.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "base/units.h"

namespace naos::project {
namespace {

// A node as the validator would walk it: its nodes and levels with every
// alias replaced by what it names.
struct Expanded {
  uint64_t nodes = 1;
  int depth = 1;
};

uint64_t saturating_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

// Reads the events of one stream, keeping per open collection only what is
// needed for the sizes and for the key path of an error. Stops looking at
// events after the first problem (the parser still runs to the end of the
// document, which is linear and at most kMaxConfigBytes).
class BoundsChecker final : public YAML::EventHandler {
 public:
  BoundsChecker(const std::string& label, const YamlBounds& bounds) : label_(label), bounds_(bounds) {}

  const std::optional<Error>& problem() const { return problem_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (problem_) return;
    if (++documents_ > 1) {
      fail(mark, "", "a second YAML document (after ---) is not allowed; nexus.config.yaml is one document");
    }
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor, Expanded{}, nullptr); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string& value) override {
    leaf(mark, anchor, Expanded{}, &value);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (problem_) return;
    auto named = anchors_.find(anchor);
    if (named == anchors_.end()) {
      // yaml-cpp refuses an undefined anchor itself, so this one is still
      // open: the alias is inside the node it names.
      fail(mark, child_path(), "an alias refers to a node that contains it (a cycle)");
      return;
    }
    alias_nodes_ = saturating_add(alias_nodes_, named->second.nodes);
    if (alias_nodes_ > bounds_.max_alias_nodes) {
      fail(mark, child_path(),
           "the aliases up to here stand for more than " + std::to_string(bounds_.max_alias_nodes) +
               " nodes once expanded; write the values out or use fewer aliases");
      return;
    }
    leaf(mark, 0, named->second, nullptr);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor, /*map=*/false);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor, /*map=*/true);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    bool map = false;
    std::string segment;    // this collection's place in its parent: "key" or "[3]"
    uint64_t children = 0;  // for a map, keys and values both count
    std::string key;        // a map's latest key, naming the value that follows
    YAML::anchor_t anchor = 0;
    Expanded size;
  };

  // The path segment of the next child of the innermost open collection. A
  // key is reported at its map.
  std::string next_segment() const {
    if (stack_.empty()) return "";
    const Frame& top = stack_.back();
    if (!top.map) return "[" + std::to_string(top.children) + "]";
    if (top.children % 2 == 0) return "";
    return top.key;
  }

  std::string path_of(const std::string& last) const {
    std::string out;
    auto append = [&out](const std::string& segment) {
      if (segment.empty()) return;
      if (!out.empty() && segment[0] != '[') out += '.';
      out += segment;
    };
    for (const Frame& frame : stack_) append(frame.segment);
    append(last);
    return out;
  }
  std::string child_path() const { return path_of(next_segment()); }

  // Counts a child of the innermost collection and, in a map, remembers a key.
  void place(const std::string* key_text) {
    if (stack_.empty()) return;
    Frame& top = stack_.back();
    if (top.map && top.children % 2 == 0) top.key = key_text != nullptr ? *key_text : "?";
    ++top.children;
  }

  void add_to_parent(const Expanded& child) {
    if (stack_.empty()) return;
    Expanded& parent = stack_.back().size;
    parent.nodes = saturating_add(parent.nodes, child.nodes);
    parent.depth = std::max(parent.depth, child.depth + 1);
  }

  bool too_deep(const YAML::Mark& mark, int levels) {
    if (static_cast<int>(stack_.size()) + levels <= bounds_.max_depth) return false;
    fail(mark, child_path(),
         "nested more than " + std::to_string(bounds_.max_depth) + " levels deep (counting what aliases refer to)");
    return true;
  }

  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor, const Expanded& size, const std::string* text) {
    if (problem_ || too_deep(mark, size.depth)) return;
    if (anchor != 0) anchors_[anchor] = size;
    add_to_parent(size);
    place(text);
  }

  void open(const YAML::Mark& mark, YAML::anchor_t anchor, bool map) {
    if (problem_ || too_deep(mark, 1)) return;
    Frame frame;
    frame.map = map;
    frame.segment = next_segment();
    frame.anchor = anchor;
    place(nullptr);
    stack_.push_back(std::move(frame));
  }

  void close() {
    if (problem_ || stack_.empty()) return;
    Frame done = std::move(stack_.back());
    stack_.pop_back();
    if (done.anchor != 0) anchors_[done.anchor] = done.size;
    add_to_parent(done.size);
  }

  void fail(const YAML::Mark& mark, const std::string& path, const std::string& message) {
    std::string where = label_;
    if (mark.line >= 0) where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    problem_ = Error(Code::kInvalidArgument, path.empty() ? message : path + ": " + message, where);
  }

  const std::string& label_;
  const YamlBounds& bounds_;
  int documents_ = 0;
  uint64_t alias_nodes_ = 0;
  std::vector<Frame> stack_;
  std::unordered_map<YAML::anchor_t, Expanded> anchors_;
  std::optional<Error> problem_;
};

}  // namespace

Status check_yaml_size(uint64_t bytes, const std::string& label, const YamlBounds& bounds) {
  if (bytes <= bounds.max_bytes) return ok();
  return Error(Code::kInvalidArgument,
               "the file is " + std::to_string(bytes) + " bytes; a config may be at most " +
                   format_size(bounds.max_bytes),
               label);
}

Status check_yaml_bounds(std::string_view text, const std::string& label, const YamlBounds& bounds) {
  NAOS_TRY(check_yaml_size(text.size(), label, bounds));
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  BoundsChecker checker(label, bounds);
  try {
    // The first document, then whether a second one starts.
    while (!checker.problem() && parser.HandleNextDocument(checker)) {
    }
  } catch (const YAML::ParserException& e) {
    if (checker.problem()) return *checker.problem();
    return Error(Code::kInvalidArgument, "malformed YAML: " + e.msg,
                 label + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1));
  }
  if (checker.problem()) return *checker.problem();
  return ok();
}

}  // namespace naos::project
