// Making untrusted bytes safe to show on a terminal (no control characters or escape sequences), and
// the UTF-8 decoding step that lib/json shares.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace netlab {

// Appends text with every byte that could control a terminal written as \xNN: C0 controls, DEL, C1
// controls (U+0080..U+009F) and bytes that are not valid UTF-8. A backslash becomes "\\" so the
// result is unambiguous. Printable ASCII and valid UTF-8 pass unchanged.
void append_escaped(std::string& out, std::string_view text);
std::string escape_terminal(std::string_view text);

// True when every byte is printable ASCII, the common case that needs no escaping at all.
bool is_plain_ascii(std::string_view text) noexcept;

// True when every byte is printable ASCII other than '"' and '\': a JSON string carries it unchanged.
bool is_plain_json(std::string_view text) noexcept;

// True when append_escaped would change text: it holds a control character, an invalid UTF-8 byte
// or a backslash (a receiver counts such names, e.g. terminal escape sequences sent to it).
bool needs_escaping(std::string_view text);

// One step of UTF-8 decoding (RFC 3629) at text[at]. For a valid sequence: its length and code point.
// Otherwise (a byte that starts no sequence, an overlong form, a surrogate, a code point above
// U+10FFFF, a sequence cut short) valid is false and length is that of the "maximal subpart" that
// one U+FFFD replaces (Unicode 15, section 3.9), as WHATWG's decoder and Python's errors="replace" do.
struct Utf8Step {
    std::size_t length = 1;
    char32_t code_point = 0;
    bool valid = false;
};
Utf8Step decode_utf8(std::string_view text, std::size_t at) noexcept;

} // namespace netlab
