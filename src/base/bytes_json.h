// Bytes in JSON, losslessly. Agent inputs and outputs, kv keys and values,
// URLs and details a guest wrote are arbitrary bytes; JSON strings must be
// UTF-8 (nlohmann throws type_error.316 when it dumps anything else). Every
// place bytes reach nlohmann::json goes through bytes_json(), and every
// place that reads them back through bytes_from_json():
//
//   valid UTF-8         -> "text"                (a plain JSON string)
//   anything else       -> {"base64": "..."}     (RFC 4648, with padding)
//
// So text stays readable in `--json` output and in the journal, and any
// other bytes round-trip exactly (docs/architecture.md "Bytes in JSON").
// NUL is valid UTF-8 (JSON escapes it as \u0000), so it stays a string.
//
// lossless_json() is the safety net for JSON assembled from many parts
// (audit payloads, journal entries): it rewrites only what would make dump()
// throw, the same way, so nothing is lost and nothing aborts.
//
// Threading: pure functions.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace naos {

// Whether `bytes` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool is_utf8(std::string_view bytes);
// The length of the longest well-formed UTF-8 prefix of `bytes`: where the
// first bad byte is, for an error that points at it.
size_t utf8_prefix_length(std::string_view bytes);

std::string base64_encode(std::string_view bytes);
// Errors: kInvalidArgument when `text` is not padded standard base64.
Result<std::string> base64_decode(std::string_view text);

// `bytes` as JSON: a string when it is UTF-8, else {"base64": "..."}.
nlohmann::json bytes_json(std::string_view bytes);
// The reverse: a string's bytes, or the decoded {"base64": ...}; null is
// empty. Errors: kInvalidArgument for any other JSON value.
Result<std::string> bytes_from_json(const nlohmann::json& value);
// bytes_from_json(object[key]) with "" when the key is absent or unreadable:
// for journal readers, where a missing field means nothing was recorded.
std::string bytes_field(const nlohmann::json& object, const char* key);

// An object key must be a string: a key that is not UTF-8 becomes
// "base64:" + its base64 (only data written before naos refused such keys).
std::string bytes_key(std::string_view key);

// `value` with every string that is not UTF-8 replaced by bytes_json() of it
// (and every such object key by bytes_key()), so dump() cannot throw.
nlohmann::json lossless_json(nlohmann::json value);
// value.dump(indent), made lossless first only if it would throw.
std::string dump_lossless(const nlohmann::json& value, int indent = -1);

}  // namespace naos
