// Making untrusted bytes safe to show on a terminal (UTF-8: RFC 3629).
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
std::size_t printable_utf8_sequence(std::string_view text, std::size_t i) {
    Utf8Step step = decode_utf8(text, i);
    return step.valid && step.code_point >= 0xA0 ? step.length : 0; // < U+00A0: C1 controls
}

constexpr std::uint64_t every_byte(std::uint8_t b) {
    return 0x0101010101010101ULL * b;
}

// The high bit of every byte of w equal to c; maybe also of bytes after such a byte (a borrow).
constexpr std::uint64_t equal_bytes(std::uint64_t w, std::uint8_t c) {
    std::uint64_t b = w ^ every_byte(c);
    return (b - every_byte(0x01)) & ~b & every_byte(0x80);
}

// The high bit of every byte of w that is 0x7F (DEL) or above, below 0x20, or a backslash; and
// maybe of bytes after such a byte (a borrow or carry), so zero exactly when all eight are plain.
constexpr std::uint64_t unplain_bytes(std::uint64_t w) {
    std::uint64_t high = every_byte(0x80);
    std::uint64_t del_or_above = w | (w + every_byte(0x01)); // 0x7F + 1 sets the high bit
    std::uint64_t control = (w - every_byte(0x20)) & ~w;
    return ((del_or_above | control) & high) | equal_bytes(w, '\\');
}

// Printable ASCII without a backslash (and without a double quote when quote_too).
template <bool quote_too> bool all_plain(std::string_view text) noexcept {
    // Eight bytes per step, without branches: every record's name passes through here, and for
    // 495-byte names a byte loop was a seventh of udp-recv's CPU (bench/udp.sh).
    std::size_t i = 0;
    for (; i + 8 <= text.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, text.data() + i, sizeof w);
        std::uint64_t unplain = unplain_bytes(w);
        if constexpr (quote_too) unplain |= equal_bytes(w, '"');
        if (unplain) return false;
    }
    for (; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c >= 0x7F || c == '\\' || (quote_too && c == '"')) return false;
    }
    return true;
}

} // namespace

bool is_plain_ascii(std::string_view text) noexcept {
    return all_plain<false>(text);
}

bool is_plain_json(std::string_view text) noexcept {
    return all_plain<true>(text);
}

Utf8Step decode_utf8(std::string_view text, std::size_t at) noexcept {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[at + k]); };
    unsigned char lead = byte(0);
    if (lead < 0x80) return {1, lead, true};
    std::size_t length = 0;
    char32_t code_point = 0;
    // The range of the second byte (RFC 3629 section 4) excludes overlong forms, surrogates and
    // code points above U+10FFFF, so a sequence that passes needs no further check.
    unsigned char low = 0x80, high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        code_point = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        code_point = lead & 0x0F;
        if (lead == 0xE0) low = 0xA0;
        if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        code_point = lead & 0x07;
        if (lead == 0xF0) low = 0x90;
        if (lead == 0xF4) high = 0x8F;
    } else {
        return {1, 0, false};
    }
    for (std::size_t k = 1; k < length; ++k) {
        if (at + k >= text.size() || byte(k) < low || byte(k) > high) return {k, 0, false};
        code_point = code_point << 6 | (byte(k) & 0x3F);
        low = 0x80;
        high = 0xBF;
    }
    return {length, code_point, true};
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
        } else if (std::size_t len = c >= 0x80 ? printable_utf8_sequence(text, i) : 0) {
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
        } else if (std::size_t len = c >= 0x80 ? printable_utf8_sequence(text, i) : 0) {
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

} // namespace netlab
