// Tests of lib/time_stamp: each format round-trips, and bad replies are rejected with a reason.
#include "time_stamp.hpp"

#include <catch2/catch.hpp>

using namespace netlab::stamp;

namespace {
Parsed parse_text(Format f, std::string_view text) {
    return parse(f, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}
} // namespace

TEST_CASE("unix: the tutorial's %lld and a newline", "[stamp]") {
    CHECK(encode(Format::unix_seconds, 1764583200) == "1764583200\n");
    CHECK(parse_text(Format::unix_seconds, "1764583200\n").seconds == 1764583200);
    CHECK(parse_text(Format::unix_seconds, "  42\n").seconds == 42);
    CHECK(parse_text(Format::unix_seconds, "-5\n").seconds == -5);
    CHECK(parse_text(Format::unix_seconds, "42").ok()); // fscanf accepts a missing newline too
    CHECK(parse_text(Format::unix_seconds, "").error == ParseError::incomplete);
    CHECK(parse_text(Format::unix_seconds, "abc\n").error == ParseError::bad_format);
    CHECK(parse_text(Format::unix_seconds, "12x\n").error == ParseError::bad_format);
    CHECK(parse_text(Format::unix_seconds, "99999999999999999999\n").error == ParseError::out_of_range);
    CHECK(parse_text(Format::unix_seconds, std::string(40, '1')).error == ParseError::bad_format);
}

TEST_CASE("rfc868: 4 bytes of seconds since 1900", "[stamp]") {
    std::string wire = encode(Format::rfc868, 0);
    REQUIRE(wire.size() == 4);
    // 2208988800 = 0x83AA7E80
    CHECK(static_cast<unsigned char>(wire[0]) == 0x83);
    CHECK(static_cast<unsigned char>(wire[3]) == 0x80);
    CHECK(parse_text(Format::rfc868, encode(Format::rfc868, 1764583200)).seconds == 1764583200);
    CHECK(parse_text(Format::rfc868, "abc").error == ParseError::incomplete);
    CHECK(parse_text(Format::rfc868, "abcde").error == ParseError::bad_format);
}

TEST_CASE("daytime: one ISO 8601 line", "[stamp]") {
    CHECK(encode(Format::daytime, 0) == "1970-01-01T00:00:00Z\r\n");
    CHECK(parse_text(Format::daytime, encode(Format::daytime, 1764583200)).seconds == 1764583200);
    CHECK(parse_text(Format::daytime, "1970-13-01T00:00:00Z\r\n").error == ParseError::bad_format);
    CHECK(parse_text(Format::daytime, "1970-01-01").error == ParseError::incomplete);
}

TEST_CASE("format names", "[stamp]") {
    CHECK(parse_format_name("rfc868") == Format::rfc868);
    CHECK_FALSE(parse_format_name("nope"));
    CHECK(format_name(Format::daytime) == "daytime");
}

TEST_CASE("found by fuzzing: extreme and impossible stamps", "[stamp][fuzz]") {
    // A unix stamp of INT64_MAX shown as RFC 868 overflowed a signed addition (UBSan); now it wraps.
    CHECK(encode(Format::rfc868, INT64_MAX).size() == 4);
    CHECK(encode(Format::rfc868, INT64_MIN).size() == 4);
    CHECK(encode(Format::rfc868, -2208988800) == std::string(4, '\0'));
    // The leap second closing 9999 is year 10000, which no daytime line can carry back.
    CHECK(parse_text(Format::daytime, "9999-12-31T23:59:60Z\r\n").error == ParseError::out_of_range);
    CHECK(parse_text(Format::daytime, "9999-12-31T23:59:59Z\r\n").ok());
    CHECK(parse_text(Format::daytime, "2016-12-31T23:59:60Z\r\n").seconds == 1483228800);
    // Dates that do not exist, and signs where digits belong.
    CHECK(parse_text(Format::daytime, "2026-02-29T00:00:00Z").error == ParseError::bad_format);
    CHECK(parse_text(Format::daytime, "2024-02-29T00:00:00Z").ok());
    CHECK(parse_text(Format::daytime, "2026-04-31T00:00:00Z").error == ParseError::bad_format);
    CHECK(parse_text(Format::daytime, "2026-12-01T-0:00:00Z").error == ParseError::bad_format);
    CHECK(parse_text(Format::daytime, "2026-12-01T+1:00:00Z").error == ParseError::bad_format);
}
