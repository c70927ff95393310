// The score record of the tutorial's UDP programs.
#include "score_record.hpp"

#include "text.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <fmt/format.h>

namespace netlab::score {

namespace {

std::uint32_t load_be32(const std::uint8_t* p) {
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 |
           std::uint32_t(p[3]);
}

void store_be32(std::uint8_t* p, std::uint32_t v) {
    p[0] = std::uint8_t(v >> 24);
    p[1] = std::uint8_t(v >> 16);
    p[2] = std::uint8_t(v >> 8);
    p[3] = std::uint8_t(v);
}

// What a program that forgets ntohl reads from the same four bytes on this machine.
std::uint32_t load_host(const std::uint8_t* p) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

void append_hex_row(std::string& out, std::span<const std::uint8_t> bytes, std::size_t offset,
                    std::string_view note) {
    std::string hex;
    for (auto b : bytes) hex += fmt::format("{:02x} ", b);
    out += fmt::format("  {:04x}  {:<48} {}\n", offset, hex, note);
}

} // namespace

std::optional<std::string> check_name(std::string_view name) {
    if (name.size() > max_name)
        return fmt::format("name is {} bytes, at most {} fit in a record", name.size(), max_name);
    if (name.find('\0') != std::string_view::npos) return std::string("name contains a NUL byte");
    return std::nullopt;
}

std::size_t encode(const Record& record, std::span<std::uint8_t> out) {
    std::size_t size = header_size + record.name.size() + 1;
    store_be32(out.data(), record.math);
    store_be32(out.data() + 4, record.chinese);
    std::memcpy(out.data() + header_size, record.name.data(), record.name.size());
    out[size - 1] = 0;
    return size;
}

std::vector<std::uint8_t> encode(const Record& record) {
    std::vector<std::uint8_t> out(header_size + record.name.size() + 1);
    encode(record, out);
    return out;
}

Decoded decode(std::span<const std::uint8_t> data, std::size_t length) {
    Decoded result;
    if (length < min_datagram) {
        result.error = DecodeError::too_short;
        return result;
    }
    if (length > max_datagram || data.size() < length) {
        result.error = DecodeError::too_long;
        return result;
    }
    auto name_bytes = data.subspan(header_size, length - header_size);
    // memchr, not std::find: libstdc++ 12 compares byte by byte, glibc a vector at a time.
    const void* found = std::memchr(name_bytes.data(), 0, name_bytes.size());
    auto nul = found ? name_bytes.begin() + (static_cast<const std::uint8_t*>(found) - name_bytes.data())
                     : name_bytes.end();
    if (nul == name_bytes.end()) {
        result.error = DecodeError::no_terminator;
        return result;
    }
    if (std::any_of(nul + 1, name_bytes.end(), [](std::uint8_t b) { return b != 0; })) {
        result.error = DecodeError::trailing_bytes;
        return result;
    }
    result.record.math = load_be32(data.data());
    result.record.chinese = load_be32(data.data() + 4);
    result.record.name = std::string_view(reinterpret_cast<const char*>(name_bytes.data()),
                                          static_cast<std::size_t>(nul - name_bytes.begin()));
    return result;
}

std::string describe(DecodeError error, std::size_t length) {
    switch (error) {
    case DecodeError::none:
        return "valid record";
    case DecodeError::too_short:
        if (length == 0) return "empty datagram";
        return fmt::format("too short: {} bytes, a record has at least {}", length, min_datagram);
    case DecodeError::too_long:
        return fmt::format("too long: {} bytes, a record has at most {}", length, max_datagram);
    case DecodeError::no_terminator:
        return "name is not NUL-terminated";
    case DecodeError::trailing_bytes:
        return "non-zero bytes after the name's NUL";
    }
    return "unknown error";
}

std::string annotated_dump(std::span<const std::uint8_t> data, std::size_t length) {
    std::string out;
    const char* host_order = std::endian::native == std::endian::little ? "little-endian" : "big-endian";
    Decoded decoded = decode(data, length);
    if (!decoded.ok()) {
        out += fmt::format("  malformed ({}), {} bytes:\n", describe(decoded.error, length), length);
        std::size_t shown = std::min(data.size(), std::size_t{256});
        for (std::size_t off = 0; off < shown; off += 16)
            append_hex_row(out, data.subspan(off, std::min<std::size_t>(16, shown - off)), off, "");
        if (shown < length) out += fmt::format("  ... {} more bytes\n", length - shown);
        return out;
    }
    const char* names[] = {"math", "chinese"};
    for (int i = 0; i < 2; ++i) {
        const std::uint8_t* p = data.data() + 4 * i;
        append_hex_row(out, data.subspan(4 * i, 4), 4 * i,
                       fmt::format("{:<8} ntohl -> {}; read as {} without ntohl -> {}", names[i],
                                   load_be32(p), host_order, load_host(p)));
    }
    std::size_t name_len = decoded.record.name.size() + 1;
    for (std::size_t off = 0; off < length - header_size; off += 16) {
        std::size_t row = std::min<std::size_t>(16, length - header_size - off);
        std::string note = off == 0 ? fmt::format("name     \"{}\" + NUL ({} bytes)",
                                                  escape_terminal(decoded.record.name), name_len)
                                    : std::string();
        append_hex_row(out, data.subspan(header_size + off, row), header_size + off, note);
    }
    return out;
}

} // namespace netlab::score
