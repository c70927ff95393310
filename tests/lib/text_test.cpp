// Tests of lib/text: escaping untrusted names for terminals, and the UTF-8 step lib/json shares.
#include "text.hpp"

#include <catch2/catch.hpp>

using netlab::escape_terminal;

TEST_CASE("printable text passes unchanged", "[text]") {
    CHECK(escape_terminal("Mike") == "Mike");
    CHECK(escape_terminal("Zhang San 张三") == "Zhang San 张三");
    CHECK(escape_terminal("") == "");
}

TEST_CASE("control characters and bad UTF-8 are escaped", "[text]") {
    CHECK(escape_terminal("\x1b[31mred") == "\\x1b[31mred");
    CHECK(escape_terminal("a\nb\tc\r") == "a\\x0ab\\x09c\\x0d");
    CHECK(escape_terminal("\x7f") == "\\x7f");
    CHECK(escape_terminal("back\\slash") == "back\\\\slash");
    CHECK(escape_terminal("\xc2\x9b"
                          "2J") == "\\xc2\\x9b2J");              // C1 CSI in UTF-8
    CHECK(escape_terminal("\xff\xfe") == "\\xff\\xfe");          // not UTF-8
    CHECK(escape_terminal("\xe4\xb8") == "\\xe4\\xb8");          // truncated sequence
    CHECK(escape_terminal("\xc0\xaf") == "\\xc0\\xaf");          // overlong '/'
    CHECK(escape_terminal("\xed\xa0\x80") == "\\xed\\xa0\\x80"); // surrogate
}

TEST_CASE("a UTF-8 step gives the code point, or the maximal subpart to replace", "[text]") {
    auto step = [](std::string_view s) { return netlab::decode_utf8(s, 0); };
    CHECK(step("A").valid);
    CHECK(step("A").code_point == U'A');
    CHECK(step("\xC3\xA9").length == 2);
    CHECK(step("\xC3\xA9").code_point == U'\u00E9');
    CHECK(step("\xE5\xBC\xA0").code_point == U'\u5F20');
    CHECK(step("\xF4\x8F\xBF\xBF").code_point == U'\U0010FFFF');
    struct Bad {
        std::string_view bytes;
        std::size_t length;
    };
    for (const Bad& b : {Bad{"\xE4\xB8", 2}, Bad{"\xE4\xB8x", 2}, Bad{"\xF0\x9F\x8E", 3}, Bad{"\xC0\xAF", 1},
                         Bad{"\xE0\x80\xAF", 1}, Bad{"\xED\xA0\x80", 1}, Bad{"\xF4\x90\x80\x80", 1},
                         Bad{"\x80", 1}, Bad{"\xFF", 1}}) {
        INFO(b.bytes);
        CHECK_FALSE(step(b.bytes).valid);
        CHECK(step(b.bytes).length == b.length);
    }
}

TEST_CASE("a byte to escape is found at any position of a long name", "[text]") {
    // is_plain_ascii checks eight bytes at a time: every offset, in the words and in the tail.
    for (std::size_t size : {7u, 8u, 9u, 40u, 495u}) {
        std::string name(size, 'a');
        CHECK(netlab::is_plain_ascii(name));
        for (std::size_t i = 0; i < size; ++i) {
            for (char good : {' ', '~', '[', ']'}) {
                std::string s = name;
                s[i] = good;
                CHECK(netlab::is_plain_ascii(s));
                CHECK(netlab::is_plain_json(s));
            }
            std::string quoted = name;
            quoted[i] = '"';
            CHECK(netlab::is_plain_ascii(quoted));
            CHECK_FALSE(netlab::is_plain_json(quoted));
            for (char bad : {'\0', '\x1f', '\x7f', '\x80', '\xff', '\\'}) {
                std::string s = name;
                s[i] = bad;
                INFO("size " << size << ", byte " << int(static_cast<unsigned char>(bad)) << " at " << i);
                CHECK_FALSE(netlab::is_plain_ascii(s));
                CHECK_FALSE(netlab::is_plain_json(s));
            }
        }
    }
}
