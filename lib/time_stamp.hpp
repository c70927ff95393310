// The time-stamp service's wire formats, as pure encode/parse functions that trust nothing:
//   unix    the tutorial's "%lld\n": decimal Unix seconds and a newline
//   rfc868  RFC 868 Time protocol: 4 bytes, big-endian seconds since 1900-01-01 00:00 UTC
//   daytime RFC 867 Daytime protocol: one human-readable ASCII line (here "YYYY-MM-DDTHH:MM:SSZ\r\n")
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace netlab::stamp {

inline constexpr std::uint16_t default_port = 2333;
// Seconds from 1900-01-01 to 1970-01-01: RFC 868's epoch against Unix's.
inline constexpr std::int64_t rfc868_offset = 2208988800LL;

enum class Format { unix_seconds, rfc868, daytime };

// "unix", "rfc868", "daytime" -> Format; nullopt for anything else.
std::optional<Format> parse_format_name(std::string_view name);
std::string_view format_name(Format format);

// The reply a server sends for Unix time `seconds` (at most 32 bytes).
std::string encode(Format format, std::int64_t seconds);

enum class ParseError { none, incomplete, bad_format, out_of_range };

struct Parsed {
    std::int64_t seconds = 0; // Unix seconds
    ParseError error = ParseError::none;
    bool ok() const noexcept { return error == ParseError::none; }
};

// Parses a whole reply (everything the server sent before closing). unix: optional leading blanks,
// an optional '-', digits, then '\n' (a missing final newline is accepted, as fscanf accepts it);
// rfc868: exactly 4 bytes (seconds past 2036 wrap, as RFC 868's 32 bits do: read as the era
// nearest to now is the caller's business); daytime: the ISO 8601 line encode() writes.
Parsed parse(Format format, std::span<const std::uint8_t> reply);
std::string describe(ParseError error);

// "2026-12-01T10:00:00Z" (UTC) or, with local = true, "2026-12-01T11:00:00+01:00".
std::string iso8601(std::int64_t seconds, bool local);

} // namespace netlab::stamp
