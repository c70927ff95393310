// Tests of lib/json: exact lines, escaping of every control byte, UTF-8 carried or replaced with its
// bytes in "<key>_hex", and a round trip of random bytes through the writer and a separate reader.
#include "json.hpp"
#include "json_reader.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <fmt/format.h>
#include <limits>
#include <map>
#include <random>

namespace json = netlab::json;
namespace reader = netlab::test::json;

namespace {

// The line {"name":...}\n for one string value.
std::string name_line(std::string_view name) {
    std::string out;
    json::Line(out).field("name", name).end();
    return out;
}

// The JSON string literal for one value (the writer's own rule, without a "_hex" field).
std::string literal(std::string_view text) {
    std::string out;
    json::append_string(out, text);
    return out;
}

// The bytes a reader gets back from a line holding "name".
std::optional<std::string> read_back(const std::string& line) {
    auto value = reader::parse(line);
    if (!value) return std::nullopt;
    return reader::field_bytes(*value, "name");
}

const std::string replacement = "\xEF\xBF\xBD"; // U+FFFD

// Nothing in the line could control a terminal: no C0 control but the final newline, no DEL, no C1
// control (U+0080..U+009F, 0xC2 0x80..0x9F in UTF-8).
bool safe_to_show(const std::string& line) {
    for (std::size_t i = 0; i + 1 < line.size(); ++i) {
        auto c = static_cast<unsigned char>(line[i]), next = static_cast<unsigned char>(line[i + 1]);
        if (c < 0x20 || c == 0x7f || (c == 0xC2 && next < 0xA0)) return false;
    }
    return line.back() == '\n';
}

} // namespace

TEST_CASE("a line holds its fields in order with the number formats given", "[json]") {
    std::string out;
    json::Line(out)
        .field("type", "record")
        .field("ip", std::string("127.0.0.1"))
        .field("port", std::uint16_t{40512})
        .field("name", "Mike")
        .field("math", 83u)
        .field("ok", true)
        .field("refused", false)
        .field("seconds", json::Fixed{0.0123456789, 6})
        .field("rate", json::Fixed{1234.56, 1})
        .null("nothing")
        .end();
    CHECK(out == "{\"type\":\"record\",\"ip\":\"127.0.0.1\",\"port\":40512,\"name\":\"Mike\",\"math\":83,"
                 "\"ok\":true,\"refused\":false,\"seconds\":0.012346,\"rate\":1234.6,\"nothing\":null}\n");
}

TEST_CASE("integers keep every digit and fixed numbers round as printf does", "[json]") {
    auto number = [](auto value) {
        std::string out;
        json::Line(out).field("n", value).end();
        return out;
    };
    CHECK(number(std::numeric_limits<std::uint64_t>::max()) == "{\"n\":18446744073709551615}\n");
    CHECK(number(std::numeric_limits<std::int64_t>::min()) == "{\"n\":-9223372036854775808}\n");
    CHECK(number(-1) == "{\"n\":-1}\n");
    CHECK(number(0) == "{\"n\":0}\n");
    CHECK(number(json::Fixed{2.5, 0}) == "{\"n\":2}\n"); // round half to even, as %.0f
    CHECK(number(json::Fixed{-0.0004, 3}) == "{\"n\":-0.000}\n");
    CHECK(number(json::Fixed{1e20, 1}) == "{\"n\":100000000000000000000.0}\n");
    // JSON has no NaN or infinity: null keeps the line valid.
    CHECK(number(json::Fixed{std::numeric_limits<double>::quiet_NaN(), 3}) == "{\"n\":null}\n");
    CHECK(number(json::Fixed{std::numeric_limits<double>::infinity(), 3}) == "{\"n\":null}\n");
    CHECK(number(json::Fixed{-std::numeric_limits<double>::infinity(), 3}) == "{\"n\":null}\n");
}

TEST_CASE("nested objects and arrays are separated by commas", "[json]") {
    std::string out;
    json::Line line(out);
    line.field("type", "load").open_object("latency_ms").field("min", 1).field("max", 2).close_object();
    line.open_object("errors").close_object().open_array("slots");
    for (int i = 0; i < 3; ++i) line.open_object().field("slot", i).close_object();
    line.close_array().open_array("none").close_array().field("last", true).end();
    CHECK(out ==
          "{\"type\":\"load\",\"latency_ms\":{\"min\":1,\"max\":2},\"errors\":{},\"slots\":[{\"slot\":0},"
          "{\"slot\":1},{\"slot\":2}],\"none\":[],\"last\":true}\n");
    CHECK(reader::parse(out));
}

TEST_CASE("every control byte is escaped, the short forms where JSON has them", "[json]") {
    const std::map<int, std::string> short_forms = {
        {8, "\\b"}, {9, "\\t"}, {10, "\\n"}, {12, "\\f"}, {13, "\\r"}};
    for (int c = 0; c < 0x20; ++c) {
        std::string byte(1, static_cast<char>(c));
        std::string expected = short_forms.count(c) ? short_forms.at(c) : fmt::format("\\u{:04x}", c);
        INFO("byte " << c);
        CHECK(literal(byte) == "\"" + expected + "\"");
        CHECK(read_back(name_line("a" + byte + "b")) == "a" + byte + "b");
    }
    CHECK(literal("\x7f") == "\"\\u007f\""); // DEL
    // C1 controls are valid UTF-8 (U+0080..U+009F): carried exactly, but escaped, so a line shown on
    // a terminal holds nothing that controls it (0xC2 0x9B is the 8-bit CSI).
    for (int c = 0x80; c < 0xA0; ++c) {
        std::string utf8 = {'\xC2', static_cast<char>(c)};
        INFO("U+00" << std::hex << c);
        CHECK(literal(utf8) == fmt::format("\"\\u{:04x}\"", c));
        CHECK(read_back(name_line(utf8)) == utf8);
    }
    CHECK(literal("\xC2\xA0") == "\"\xC2\xA0\""); // U+00A0, the first code point after them
}

TEST_CASE("quotes and backslashes are escaped, the rest of ASCII passes", "[json]") {
    CHECK(literal("say \"hi\"") == R"("say \"hi\"")");
    CHECK(literal("back\\slash\\") == R"("back\\slash\\")");
    CHECK(literal("a/b") == "\"a/b\"");
    std::string printable;
    for (char c = 0x20; c < 0x7F; ++c)
        if (c != '"' && c != '\\') printable += c;
    CHECK(literal(printable) == "\"" + printable + "\"");
    // The issue's example: a name with a control character, a quote and a backslash.
    std::string name = "a\x01"
                       "b\"\\";
    CHECK(name_line(name) == "{\"name\":\"a\\u0001b\\\"\\\\\"}\n");
    CHECK(read_back(name_line(name)) == name);
}

TEST_CASE("valid UTF-8 of every length passes unchanged, without a _hex field", "[json]") {
    for (std::string s : {"\xC3\xA9",                 // U+00E9, 2 bytes
                          "\xDF\xBF",                 // U+07FF, the last of 2 bytes
                          "\xE0\xA0\x80",             // U+0800, the first of 3
                          "\xE5\xBC\xA0\xE4\xB8\x89", // 张三
                          "\xED\x9F\xBF",             // U+D7FF, just below the surrogates
                          "\xEE\x80\x80",             // U+E000, just above them
                          "\xEF\xBF\xBF",             // U+FFFF
                          "\xF0\x90\x80\x80",         // U+10000, the first of 4
                          "\xF0\x9F\x8E\x89",         // U+1F389
                          "\xF4\x8F\xBF\xBF"}) {      // U+10FFFF, the last code point
        INFO(s);
        CHECK(literal(s) == "\"" + s + "\"");
        CHECK(name_line("x" + s + "y") == "{\"name\":\"x" + s + "y\"}\n");
    }
}

TEST_CASE("bytes that are not UTF-8 become U+FFFD, with the exact bytes in <key>_hex", "[json]") {
    struct Case {
        std::string bytes;
        int replacements; // one per maximal subpart, as Python's bytes.decode("utf-8", "replace")
    };
    for (const Case& c : std::vector<Case>{{"\xC0\xAF", 2},         // overlong '/'
                                           {"\xC1\xBF", 2},         // overlong DEL
                                           {"\xE0\x80\xAF", 3},     // overlong, 3 bytes
                                           {"\xF0\x80\x80\xAF", 4}, // overlong, 4 bytes
                                           {"\xED\xA0\x80", 3},     // high surrogate U+D800
                                           {"\xED\xBF\xBF", 3},     // low surrogate U+DFFF
                                           {"\xF4\x90\x80\x80", 4}, // above U+10FFFF
                                           {"\xE4\xB8", 1},         // cut short
                                           {"\xF0\x9F\x8E", 1},     // cut short
                                           {"\xC3", 1},             // cut short at the end
                                           {"\xE4\xB8"
                                            "a",
                                            1},         // cut short by ASCII
                                           {"\x80", 1}, // lone continuation byte
                                           {"\xBF\xBF", 2}}) {
        INFO(c.bytes);
        std::string shown;
        for (int i = 0; i < c.replacements; ++i) shown += replacement;
        std::string hex;
        json::append_hex(hex, c.bytes);
        std::string tail = c.bytes.back() == 'a' ? "a" : "";
        CHECK(name_line(c.bytes) == "{\"name\":\"" + shown + tail + "\",\"name_hex\":\"" + hex + "\"}\n");
        CHECK(read_back(name_line(c.bytes)) == c.bytes);
    }
    for (int b = 0x80; b <= 0xFF; ++b) { // no byte above 0x7F stands alone in UTF-8
        std::string s = {'<', static_cast<char>(b), '>'};
        INFO("byte " << b);
        CHECK(name_line(s) ==
              fmt::format("{{\"name\":\"<{}>\",\"name_hex\":\"3c{:02x}3e\"}}\n", replacement, b));
    }
    std::string out;
    json::append_hex(out, std::string("\x00\x0f\x10\xff", 4));
    CHECK(out == "000f10ff");
}

TEST_CASE("random bytes come back exactly through the writer and a separate reader", "[json]") {
    // Bytes drawn mostly from the UTF-8 lead and continuation ranges and the controls, so that valid
    // sequences, broken ones and escapes all occur often.
    std::mt19937 random(18);
    const std::vector<std::uint8_t> interesting = {0x00, 0x01, 0x08, 0x0a, 0x1b, 0x1f, 0x22, 0x2f,
                                                   0x5c, 0x7f, 0x80, 0x9b, 0xa0, 0xbf, 0xc0, 0xc2,
                                                   0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
    int valid = 0, invalid = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string s(random() % 24, '\0');
        for (char& c : s) {
            auto r = random();
            c = static_cast<char>(r % 3 == 0 ? interesting[(r >> 8) % interesting.size()] : (r >> 8) & 0xFF);
        }
        std::string line = name_line(s);
        INFO("bytes " << [&] {
            std::string hex;
            json::append_hex(hex, s);
            return hex;
        }());
        REQUIRE(safe_to_show(line));
        auto value = reader::parse(line);
        REQUIRE(value);
        REQUIRE(reader::field_bytes(*value, "name") == s);
        (value->find("name_hex") ? invalid : valid)++;
    }
    CHECK(valid > 1000);
    CHECK(invalid > 1000);
}

TEST_CASE("the test reader refuses what is not strict JSON", "[json]") {
    CHECK(reader::parse(R"({"a":[1,-2.5e+3,true,false,null,"\ud83c\udf89"]})"));
    CHECK(reader::parse(R"({"a":"\ud83c\udf89"})")->find("a")->text == "\xF0\x9F\x8E\x89");
    for (std::string bad :
         {"", "{", "{\"a\":1,}", "{\"a\":1}x", "{\"a\":01}", "{\"a\":.5}", "{\"a\":\"\x01\"}",
          "{\"a\":\"\\x41\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":1,\"a\":2}",
          "{\"a\":\"\xC0\xAF\"}", "{\"a\":\"\xED\xA0\x80\"}", "{\"a\":\"\xE4\xB8\"}", "[1 2]"}) {
        INFO(bad);
        CHECK_FALSE(reader::parse(bad));
    }
}

TEST_CASE("json::Line element: an array of strings, escaped as any string", "[json]") {
    std::string out;
    netlab::json::Line line(out);
    line.open_array("routes").element("default via 198.18.0.254").element("a\"b").close_array();
    line.open_array("none").close_array().end();
    CHECK(out == "{\"routes\":[\"default via 198.18.0.254\",\"a\\\"b\"],\"none\":[]}\n");
}
