// printable() — text from an agent (or any untrusted source) made safe to
// print as one line on a terminal or in a line-oriented file.
//
// Invariant: the result contains no byte below 0x20, no DEL, no C1 control
// (U+0080-U+009F), no line or paragraph separator (U+2028, U+2029), no
// bidirectional override or isolate (U+202A-U+202E, U+2066-U+2069), and only
// well-formed UTF-8. So a newline cannot start a forged log line, an ANSI
// escape cannot colour or move the cursor, and reordering tricks cannot make
// a line read differently from its bytes.
//
// Each such character is written as an escape: \n, \r, \t, else \xNN per
// byte (\u{NNNN} for the Unicode controls). A backslash is left as it is, so
// printable(printable(x)) == printable(x): text escaped when it was stored
// is not escaped again when it is printed. The escapes are for a person to
// read; they are not a reversible encoding.
#pragma once

#include <string>
#include <string_view>

namespace naos {

std::string printable(std::string_view text);

// True when printable(text) == text (the common case; no copy needed).
bool is_printable(std::string_view text);

}  // namespace naos
