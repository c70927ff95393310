// Making untrusted bytes safe to show (UTF-8: RFC 3629; JSON strings: RFC 8259 section 7).
#include "text.hpp"

#include <cstdint>
#include <cstring>

namespace netlab {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_hex_escape(std::string& out, unsigned char byte) {
    out += "\\x";
    out += hex_digits[byte >> 4];
    out += hex_digits[byte & 15];
}

// Length of the valid UTF-8 sequence starting at text[i] and encoding a code point >= U+00A0, or 0.
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
    auto cont = [&](std::size_t k) { return i + k < text.size() && (b(k) & 0xC0) == 0x80; };
    unsigned char lead = b(0);
    std::uint32_t cp = 0;
    std::size_t len = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        len = 2;
        cp = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        len = 3;
        cp = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        len = 4;
        cp = lead & 0x07;
    } else {
        return 0;
    }
    for (std::size_t k = 1; k < len; ++k) {
        if (!cont(k)) return 0;
        cp = cp << 6 | (b(k) & 0x3F);
    }
    bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    if (overlong || surrogate || cp > 0x10FFFF || cp < 0xA0) return 0; // < U+00A0: C1 controls
    return len;
}

constexpr std::uint64_t every_byte(std::uint8_t b) {
    return 0x0101010101010101ULL * b;
}

// The high bit of every byte of w that is 0x7F (DEL) or above, below 0x20, or a backslash; and
// maybe of bytes after such a byte (a borrow or carry), so zero exactly when all eight are plain.
constexpr std::uint64_t unplain_bytes(std::uint64_t w) {
    std::uint64_t high = every_byte(0x80);
    std::uint64_t del_or_above = w | (w + every_byte(0x01)); // 0x7F + 1 sets the high bit
    std::uint64_t control = (w - every_byte(0x20)) & ~w;
    std::uint64_t b = w ^ every_byte('\\');
    std::uint64_t backslash = (b - every_byte(0x01)) & ~b;
    return (del_or_above | control | backslash) & high;
}

} // namespace

bool is_plain_ascii(std::string_view text) noexcept {
    // Eight bytes per step, without branches: every record's name passes through here, and for
    // 495-byte names a byte loop was a seventh of udp-recv's CPU (bench/udp.sh).
    std::size_t i = 0;
    for (; i + 8 <= text.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, text.data() + i, sizeof w);
        if (unplain_bytes(w)) return false;
    }
    for (; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c >= 0x7F || c == '\\') return false;
    }
    return true;
}

void append_escaped(std::string& out, std::string_view text) {
    if (is_plain_ascii(text)) {
        out += text;
        return;
    }
    for (std::size_t i = 0; i < text.size();) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == '\\') {
            out += "\\\\";
            ++i;
        } else if (c >= 0x20 && c < 0x7F) {
            out += static_cast<char>(c);
            ++i;
        } else if (std::size_t len = c >= 0x80 ? utf8_sequence(text, i) : 0) {
            out.append(text.substr(i, len));
            i += len;
        } else {
            append_hex_escape(out, c);
            ++i;
        }
    }
}

bool needs_escaping(std::string_view text) {
    if (is_plain_ascii(text)) return false;
    for (std::size_t i = 0; i < text.size();) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7F && c != '\\') {
            ++i;
        } else if (std::size_t len = c >= 0x80 ? utf8_sequence(text, i) : 0) {
            i += len;
        } else {
            return true;
        }
    }
    return false;
}

std::string escape_terminal(std::string_view text) {
    std::string out;
    append_escaped(out, text);
    return out;
}

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    std::string safe;
    if (!is_plain_ascii(text)) {
        append_escaped(safe, text); // now valid UTF-8 without control characters
        text = safe;
    }
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
}

} // namespace netlab
