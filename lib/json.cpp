// The one writer of netlab's JSON output (RFC 8259; strings: section 7; UTF-8: RFC 3629).
#include "json.hpp"

#include "text.hpp"

#include <cassert>
#include <cmath>
#include <fmt/format.h>
#include <iterator>

namespace netlab::json {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_control(std::string& out, char32_t c) {
    switch (c) {
    case '\b':
        out += "\\b";
        return;
    case '\f':
        out += "\\f";
        return;
    case '\n':
        out += "\\n";
        return;
    case '\r':
        out += "\\r";
        return;
    case '\t':
        out += "\\t";
        return;
    default:
        out += "\\u00";
        out += hex_digits[(c >> 4) & 15];
        out += hex_digits[c & 15];
    }
}

bool is_control(char32_t c) {
    return c < 0x20 || (c >= 0x7F && c < 0xA0);
}

[[maybe_unused]] bool is_plain_key(std::string_view key) {
    return !key.empty() && is_plain_json(key);
}

} // namespace

bool append_string(std::string& out, std::string_view text) {
    out += '"';
    if (is_plain_json(text)) { // nearly every name: copied as it is
        out += text;
        out += '"';
        return true;
    }
    bool valid = true;
    for (std::size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7F) {
            if (c == '"' || c == '\\') out += '\\';
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        Utf8Step step = decode_utf8(text, i);
        if (!step.valid) {
            out += "\xEF\xBF\xBD"; // U+FFFD REPLACEMENT CHARACTER
            valid = false;
        } else if (is_control(step.code_point)) {
            append_control(out, step.code_point);
        } else {
            out.append(text.substr(i, step.length));
        }
        i += step.length;
    }
    out += '"';
    return valid;
}

void append_hex(std::string& out, std::string_view bytes) {
    for (char b : bytes) {
        auto c = static_cast<unsigned char>(b);
        out += hex_digits[c >> 4];
        out += hex_digits[c & 15];
    }
}

Line::Line(std::string& out) : out_(out) {
    out_ += '{';
}

void Line::add_separator() {
    if (!first_) out_ += ',';
    first_ = false;
}

void Line::add_key(std::string_view key) {
    assert(is_plain_key(key));
    add_separator();
    out_ += '"';
    out_ += key;
    out_ += "\":";
}

void Line::append_integer(long long value) {
    out_ += fmt::format_int(value).c_str();
}

void Line::append_integer(unsigned long long value) {
    out_ += fmt::format_int(value).c_str();
}

Line& Line::field(std::string_view key, std::string_view text) {
    add_key(key);
    if (!append_string(out_, text)) {
        out_ += ",\"";
        out_ += key;
        out_ += "_hex\":\"";
        append_hex(out_, text);
        out_ += '"';
    }
    return *this;
}

Line& Line::field(std::string_view key, bool value) {
    add_key(key);
    out_ += value ? "true" : "false";
    return *this;
}

Line& Line::field(std::string_view key, Fixed value) {
    add_key(key);
    if (std::isfinite(value.value))
        fmt::format_to(std::back_inserter(out_), "{:.{}f}", value.value, value.digits);
    else
        out_ += "null";
    return *this;
}

Line& Line::null(std::string_view key) {
    add_key(key);
    out_ += "null";
    return *this;
}

void Line::open(char bracket) {
    out_ += bracket;
    first_ = true;
    ++depth_;
}

void Line::close(char bracket) {
    assert(depth_ > 0);
    out_ += bracket;
    first_ = false;
    --depth_;
}

Line& Line::open_object(std::string_view key) {
    add_key(key);
    open('{');
    return *this;
}

Line& Line::element(std::string_view text) {
    add_separator();
    append_string(out_, text);
    return *this;
}

Line& Line::open_object() {
    add_separator();
    open('{');
    return *this;
}

Line& Line::close_object() {
    close('}');
    return *this;
}

Line& Line::open_array(std::string_view key) {
    add_key(key);
    open('[');
    return *this;
}

Line& Line::close_array() {
    close(']');
    return *this;
}

void Line::end() {
    assert(depth_ == 0);
    out_ += "}\n";
}

} // namespace netlab::json
