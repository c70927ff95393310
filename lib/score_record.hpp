// The score record of the tutorial's UDP programs: struct msg_st { uint32_t math; uint32_t chinese;
// char name[]; } __attribute__((packed)), both numbers in network byte order, the name NUL-terminated.
// Encoding and decoding are pure functions; decoding trusts nothing about its input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace netlab::score {

inline constexpr std::uint16_t default_port = 2333;
inline constexpr std::size_t header_size = 8; // math + chinese
// The tutorial's receiver reads into sizeof(struct msg_st) + NAMEMAX = 8 + (512 - 8 - 8) = 504 bytes,
// so a longer datagram would reach it truncated and without its NUL.
inline constexpr std::size_t max_datagram = 504;
inline constexpr std::size_t max_name = max_datagram - header_size - 1; // 495, leaving room for the NUL
inline constexpr std::size_t min_datagram = header_size + 1;            // an empty name is just the NUL

struct Record {
    std::string_view name; // points into the datagram it was decoded from
    std::uint32_t math = 0;
    std::uint32_t chinese = 0;
};

enum class DecodeError { none, too_short, too_long, no_terminator, trailing_bytes };

struct Decoded {
    Record record;
    DecodeError error = DecodeError::none;
    bool ok() const noexcept { return error == DecodeError::none; }
};

// Why a name cannot be sent ("name is 496 bytes, at most 495 fit in a record"), or nullopt if it can.
std::optional<std::string> check_name(std::string_view name);

// Writes the record into out (at least header_size + name.size() + 1 bytes) and returns its size.
// The name must pass check_name.
std::size_t encode(const Record& record, std::span<std::uint8_t> out);
std::vector<std::uint8_t> encode(const Record& record);

// Decodes one datagram of `length` bytes, of which `data` holds the first data.size() (less when the
// receive buffer truncated it). Zero padding after the name's NUL is accepted, other trailing bytes
// are not.
Decoded decode(std::span<const std::uint8_t> data, std::size_t length);
inline Decoded decode(std::span<const std::uint8_t> data) {
    return decode(data, data.size());
}

// "too short: 5 bytes, a record has at least 9" and the like, for a datagram of `length` bytes.
std::string describe(DecodeError error, std::size_t length);

// The datagram's bytes with the fields marked and both numbers shown as sent (network order) and as
// this host would read them without ntohl: the tutorial's lesson on byte order, one line per field.
std::string annotated_dump(std::span<const std::uint8_t> data, std::size_t length);

} // namespace netlab::score
