// The one writer of netlab's JSON output: one object per line (RFC 8259 values, JSON Lines framing).
#pragma once

#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>

namespace netlab::json {

// A number printed with a fixed count of digits after the point, as printf's "%.*f" does:
// Fixed{seconds, 6} is 0.012345. Not a number or infinite: null (JSON has neither).
struct Fixed {
    double value;
    int digits;
};

// Appends one object to a string, members in the order they are added, then "}\n" at end():
//     json::Line(out).field("type", "record").field("port", 2333).field("rate", json::Fixed{r, 1}).end();
// Keys are names chosen by the code (printable ASCII, no '"' or '\'), written as they are.
//
// Strings are lossless. Valid UTF-8 is carried exactly: '"' and '\' are escaped, and every control
// character (C0, DEL, C1: U+0000..U+001F, U+007F..U+009F) is written as \b \f \n \r \t or \u00XX, so a
// line holds no byte that could control a terminal. Bytes that are not UTF-8 (an overlong form, a
// surrogate, a sequence cut short, 0x80-0xFF out of place) cannot be a JSON string: the field then
// holds the text with U+FFFD in place of each ill-formed part (as WHATWG's decoder and Python's
// errors="replace" do), and a second field "<key>_hex" follows with every byte of the value as
// lowercase hex. A reader gets the exact bytes from "<key>_hex" when it is there, else from "<key>".
class Line {
public:
    explicit Line(std::string& out);

    Line& field(std::string_view key, std::string_view text);
    Line& field(std::string_view key, const char* text) { return field(key, std::string_view(text)); }
    Line& field(std::string_view key, bool value);
    template <std::integral T>
    requires(!std::same_as<T, bool>) Line& field(std::string_view key, T value) {
        add_key(key);
        if constexpr (std::is_signed_v<T>)
            append_integer(static_cast<long long>(value));
        else
            append_integer(static_cast<unsigned long long>(value));
        return *this;
    }
    Line& field(std::string_view key, Fixed value);
    Line& field(std::string_view key, double value) = delete; // say how many digits: Fixed
    Line& null(std::string_view key);

    // Nested values: open_object("latency_ms") ... close_object(); open_array("slots"), then
    // open_object() ... close_object() per element, close_array().
    Line& open_object(std::string_view key);
    Line& open_object();
    Line& close_object();
    Line& open_array(std::string_view key);
    Line& close_array();
    // One string of an array of strings: for text that is UTF-8 by construction (names the program
    // made, `ip`'s output). Bytes that are not become U+FFFD; an array has no "<key>_hex" to carry them.
    Line& element(std::string_view text);

    // Closes the object and ends the line.
    void end();

private:
    void add_key(std::string_view key);
    void add_separator();
    void open(char bracket);
    void close(char bracket);
    void append_integer(long long value);
    void append_integer(unsigned long long value);

    std::string& out_;
    bool first_ = true; // nothing yet in the innermost object or array: no comma before the next
    int depth_ = 0;     // objects and arrays opened inside the line and not yet closed
};

// Appends text as a JSON string literal, quotes included, by the rules above; false when text was
// not valid UTF-8 (and so written with U+FFFD, the bytes to be given as "<key>_hex").
bool append_string(std::string& out, std::string_view text);

// Appends every byte as two lowercase hex digits.
void append_hex(std::string& out, std::string_view bytes);

} // namespace netlab::json
