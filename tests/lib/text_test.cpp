// Tests of lib/text: escaping untrusted names for terminals and JSON.
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

TEST_CASE("JSON strings are always valid", "[text]") {
    auto json = [](std::string_view s) {
        std::string out;
        netlab::append_json_string(out, s);
        return out;
    };
    CHECK(json("Mike") == "\"Mike\"");
    CHECK(json("say \"hi\"") == "\"say \\\"hi\\\"\"");
    CHECK(json("a\nb") == "\"a\\\\x0ab\"");
    CHECK(json("\xff") == "\"\\\\xff\"");
    CHECK(json("张三") == "\"张三\"");
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
            }
            for (char bad : {'\0', '\x1f', '\x7f', '\x80', '\xff', '\\'}) {
                std::string s = name;
                s[i] = bad;
                INFO("size " << size << ", byte " << int(static_cast<unsigned char>(bad)) << " at " << i);
                CHECK_FALSE(netlab::is_plain_ascii(s));
            }
        }
    }
}
