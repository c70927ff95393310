// Making untrusted bytes safe to show: on a terminal (no control characters or escape sequences) and
// inside JSON strings.
#pragma once

#include <string>
#include <string_view>

namespace netlab {

// Appends text with every byte that could control a terminal written as \xNN: C0 controls, DEL, C1
// controls (U+0080..U+009F) and bytes that are not valid UTF-8. A backslash becomes "\\" so the
// result is unambiguous. Printable ASCII and valid UTF-8 pass unchanged.
void append_escaped(std::string& out, std::string_view text);
std::string escape_terminal(std::string_view text);

// Appends text as a JSON string literal (with quotes). Text that is not valid UTF-8 is first escaped
// with append_escaped, so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view text);

// True when every byte is printable ASCII, the common case that needs no escaping at all.
bool is_plain_ascii(std::string_view text) noexcept;

// True when append_escaped would change text: it holds a control character, an invalid UTF-8 byte
// or a backslash (a receiver counts such names, e.g. terminal escape sequences sent to it).
bool needs_escaping(std::string_view text);

} // namespace netlab
