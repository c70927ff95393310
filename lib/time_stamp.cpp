// The time-stamp service's wire formats (RFC 867, RFC 868, and the tutorial's "%lld\n").
#include "time_stamp.hpp"

#include <charconv>
#include <ctime>
#include <fmt/format.h>

namespace netlab::stamp {

std::optional<Format> parse_format_name(std::string_view name) {
    if (name == "unix") return Format::unix_seconds;
    if (name == "rfc868") return Format::rfc868;
    if (name == "daytime") return Format::daytime;
    return std::nullopt;
}

std::string_view format_name(Format format) {
    switch (format) {
    case Format::unix_seconds:
        return "unix";
    case Format::rfc868:
        return "rfc868";
    case Format::daytime:
        return "daytime";
    }
    return "unix";
}

std::string iso8601(std::int64_t seconds, bool local) {
    std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    if (local ? !::localtime_r(&t, &tm) : !::gmtime_r(&t, &tm)) return "(time out of range)";
    char text[64];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!local) return std::string(text) + "Z";
    long offset = tm.tm_gmtoff;
    char sign = offset < 0 ? '-' : '+';
    if (offset < 0) offset = -offset;
    return fmt::format("{}{}{:02}:{:02}", text, sign, offset / 3600, offset % 3600 / 60);
}

std::string encode(Format format, std::int64_t seconds) {
    switch (format) {
    case Format::unix_seconds:
        return fmt::format("{}\n", seconds);
    case Format::rfc868: {
        // Unsigned, so it wraps in 2036 as RFC 868 says (and never overflows, whatever `seconds` is).
        auto v = static_cast<std::uint32_t>(static_cast<std::uint64_t>(seconds) +
                                            static_cast<std::uint64_t>(rfc868_offset));
        return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
    }
    case Format::daytime:
        return iso8601(seconds, false) + "\r\n";
    }
    return {};
}

namespace {

constexpr std::int64_t last_daytime = 253402300799; // 9999-12-31T23:59:59Z

Parsed fail(ParseError e) {
    return Parsed{0, e};
}

Parsed parse_unix(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i; // fscanf's %lld skips blanks
    if (i == text.size()) return fail(ParseError::incomplete);
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), value);
    if (ec == std::errc::result_out_of_range) return fail(ParseError::out_of_range);
    if (ec != std::errc()) return fail(ParseError::bad_format);
    std::string_view rest(end, static_cast<std::size_t>(text.data() + text.size() - end));
    if (!rest.empty() && rest != "\n" && rest != "\r\n") return fail(ParseError::bad_format);
    return Parsed{value, ParseError::none};
}

Parsed parse_daytime(std::string_view text) {
    if (text.size() >= 2 && text.substr(text.size() - 2) == "\r\n")
        text.remove_suffix(2);
    else if (!text.empty() && text.back() == '\n')
        text.remove_suffix(1);
    // YYYY-MM-DDTHH:MM:SSZ
    if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
        text[16] != ':' || text[19] != 'Z')
        return fail(text.size() < 20 ? ParseError::incomplete : ParseError::bad_format);
    auto number = [&](std::size_t at, std::size_t len, int lo, int hi, int* out) {
        if (text[at] < '0' || text[at] > '9') return false; // from_chars would take "-0" as an hour
        int v = 0;
        auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + len, v);
        if (ec != std::errc() || end != text.data() + at + len || v < lo || v > hi) return false;
        *out = v;
        return true;
    };
    std::tm tm{};
    int year, month;
    if (!number(0, 4, 1970, 9999, &year) || !number(5, 2, 1, 12, &month) ||
        !number(8, 2, 1, 31, &tm.tm_mday) || !number(11, 2, 0, 23, &tm.tm_hour) ||
        !number(14, 2, 0, 59, &tm.tm_min) || !number(17, 2, 0, 60, &tm.tm_sec))
        return fail(ParseError::bad_format);
    // timegm would move 2026-02-31 to March 3rd: a date that does not exist is not a time stamp.
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (tm.tm_mday > days[month - 1] + (month == 2 && leap ? 1 : 0)) return fail(ParseError::bad_format);
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    auto seconds = static_cast<std::int64_t>(::timegm(&tm));
    // A leap second at the end of 9999 is a time no daytime line of ours can write.
    if (seconds > last_daytime) return fail(ParseError::out_of_range);
    return Parsed{seconds, ParseError::none};
}

} // namespace

Parsed parse(Format format, std::span<const std::uint8_t> reply) {
    std::string_view text(reinterpret_cast<const char*>(reply.data()), reply.size());
    switch (format) {
    case Format::unix_seconds:
        if (reply.size() > 32) return fail(ParseError::bad_format);
        return parse_unix(text);
    case Format::rfc868: {
        if (reply.size() < 4) return fail(ParseError::incomplete);
        if (reply.size() > 4) return fail(ParseError::bad_format);
        std::uint32_t v = std::uint32_t(reply[0]) << 24 | std::uint32_t(reply[1]) << 16 |
                          std::uint32_t(reply[2]) << 8 | std::uint32_t(reply[3]);
        return Parsed{static_cast<std::int64_t>(v) - rfc868_offset, ParseError::none};
    }
    case Format::daytime:
        if (reply.size() > 64) return fail(ParseError::bad_format);
        return parse_daytime(text);
    }
    return fail(ParseError::bad_format);
}

std::string describe(ParseError error) {
    switch (error) {
    case ParseError::none:
        return "valid time stamp";
    case ParseError::incomplete:
        return "reply ended before a whole time stamp";
    case ParseError::bad_format:
        return "reply is not a time stamp in this format";
    case ParseError::out_of_range:
        return "time stamp out of range";
    }
    return "unknown error";
}

} // namespace netlab::stamp
