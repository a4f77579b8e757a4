#include "base/bytes_json.h"

#include <array>
#include <cstdint>

namespace naos {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> decode_table() {
  std::array<int8_t, 256> table{};
  for (auto& entry : table) entry = -1;
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return table;
}
constexpr auto kDecode = decode_table();

bool is_base64_object(const nlohmann::json& value) {
  return value.is_object() && value.size() == 1 && value.contains("base64") && value["base64"].is_string();
}

}  // namespace

size_t utf8_prefix_length(std::string_view bytes) {
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size(), i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra;
    uint32_t min, code;
    if ((c & 0xE0) == 0xC0) {
      extra = 1, min = 0x80, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, min = 0x800, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, min = 0x10000, code = c & 0x07;
    } else {
      return i;  // a continuation byte first, or 0xF8..0xFF
    }
    if (n - i <= extra) return i;
    for (size_t k = 1; k <= extra; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      code = (code << 6) | (s[i + k] & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return i;
    i += extra + 1;
  }
  return n;
}

bool is_utf8(std::string_view bytes) { return utf8_prefix_length(bytes) == bytes.size(); }

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint32_t{s[i]} << 16) | (uint32_t{s[i + 1]} << 8) | s[i + 2];
    out += kAlphabet[v >> 18], out += kAlphabet[(v >> 12) & 63], out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  size_t left = bytes.size() - i;
  if (left > 0) {
    uint32_t v = uint32_t{s[i]} << 16;
    if (left == 2) v |= uint32_t{s[i + 1]} << 8;
    out += kAlphabet[v >> 18], out += kAlphabet[(v >> 12) & 63];
    out += left == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return Error(Code::kInvalidArgument, "base64 length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    size_t pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      int8_t d = k >= 4 - pad ? 0 : kDecode[static_cast<unsigned char>(text[i + k])];
      if (d < 0) return Error(Code::kInvalidArgument, "not base64", std::string(text.substr(i, 4)));
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    out += static_cast<char>(v >> 16);
    if (pad < 2) out += static_cast<char>((v >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(v & 0xFF);
  }
  return out;
}

nlohmann::json bytes_json(std::string_view bytes) {
  if (is_utf8(bytes)) return nlohmann::json(std::string(bytes));
  return nlohmann::json{{"base64", base64_encode(bytes)}};
}

Result<std::string> bytes_from_json(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return std::string();
  if (is_base64_object(value)) return base64_decode(value["base64"].get_ref<const std::string&>());
  return Error(Code::kInvalidArgument, "expected a string or {\"base64\": ...}, got " + value.dump());
}

std::string bytes_field(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return {};
  auto found = object.find(key);
  if (found == object.end()) return {};
  auto bytes = bytes_from_json(*found);
  return bytes ? std::move(*bytes) : std::string();
}

std::string bytes_key(std::string_view key) {
  return is_utf8(key) ? std::string(key) : "base64:" + base64_encode(key);
}

nlohmann::json lossless_json(nlohmann::json value) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    return is_utf8(text) ? std::move(value) : bytes_json(text);
  }
  if (value.is_array()) {
    for (auto& element : value) element = lossless_json(std::move(element));
    return value;
  }
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto& [key, element] : value.items()) out[bytes_key(key)] = lossless_json(std::move(element));
    return out;
  }
  return value;
}

std::string dump_lossless(const nlohmann::json& value, int indent) {
  try {
    return value.dump(indent);
  } catch (const nlohmann::json::type_error&) {
    return lossless_json(value).dump(indent);
  }
}

}  // namespace naos
