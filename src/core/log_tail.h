// The newest lines of an agent's log (data/logs/NAME.log), as `naos logs`
// and GET /api/v1/agents/NAME/logs show them: each made printable again,
// since a log written by an older naos (or edited by hand) may hold escapes
// that would drive a terminal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace naos {

// The last `tail` lines of `file` (every line when 0); none when the file
// does not exist (an agent that has not logged yet). `read_to`, when given,
// is set to how many bytes were read, where a follower goes on from.
std::vector<std::string> log_tail(const std::filesystem::path& file, size_t tail, uint64_t* read_to = nullptr);

}  // namespace naos
