// TFTP packets, options and netascii: RFC 1350, RFC 2347, RFC 2348, RFC 2349, RFC 7440.
#include "tftp.hpp"

#include <fmt/format.h>

namespace netlab::tftp {

namespace {

constexpr std::size_t max_error_message = 512;

std::uint16_t get16(std::span<const std::uint8_t> b, std::size_t at) {
    return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}

void put_string(std::vector<std::uint8_t>& out, std::string_view s) {
    out.insert(out.end(), s.begin(), s.end());
    out.push_back(0);
}

// Splits the bytes after the opcode into NUL-terminated strings; a string without its NUL is an error.
bool split_strings(std::span<const std::uint8_t> body, std::vector<std::string>& out, std::string& reason) {
    std::size_t start = 0;
    while (start < body.size()) {
        std::size_t end = start;
        while (end < body.size() && body[end] != 0) ++end;
        if (end == body.size()) {
            reason = out.empty() ? "no NUL after the file name" : "no NUL after the last string";
            return false;
        }
        out.emplace_back(reinterpret_cast<const char*>(body.data() + start), end - start);
        // Two options per string pair, plus file name and mode: stop early on a flood of strings.
        if (out.size() > 2 + 2 * max_options + 1) {
            reason = fmt::format("too many options (more than {})", max_options);
            return false;
        }
        start = end + 1;
    }
    return true;
}

// Fills options from name/value pairs starting at strings[first].
bool parse_options(const std::vector<std::string>& strings, std::size_t first, std::vector<Option>& options,
                   std::string& reason) {
    if ((strings.size() - first) % 2 != 0) {
        reason = fmt::format("option '{}' has no value", strings.back());
        return false;
    }
    if ((strings.size() - first) / 2 > max_options) {
        reason = fmt::format("too many options (more than {})", max_options);
        return false;
    }
    for (std::size_t i = first; i < strings.size(); i += 2) {
        if (strings[i].empty()) {
            reason = "empty option name";
            return false;
        }
        for (const auto& o : options)
            if (same_name(o.name, strings[i])) {
                reason = fmt::format("option '{}' given twice", strings[i]);
                return false;
            }
        options.push_back({strings[i], strings[i + 1]});
    }
    return true;
}

Decoded refuse(std::string reason) {
    Decoded d;
    d.reason = std::move(reason);
    return d;
}

Decoded decode_request(Opcode opcode, std::span<const std::uint8_t> datagram) {
    if (datagram.size() > max_request_size)
        return refuse(
            fmt::format("request of {} bytes is longer than {}", datagram.size(), max_request_size));
    std::vector<std::string> strings;
    std::string reason;
    if (!split_strings(datagram.subspan(2), strings, reason)) return refuse(reason);
    if (strings.empty()) return refuse("no file name");
    if (strings.size() < 2) return refuse("no mode");
    Request r;
    r.opcode = opcode;
    r.filename = strings[0];
    if (r.filename.empty()) return refuse("empty file name");
    if (same_name(strings[1], "octet"))
        r.mode = Mode::octet;
    else if (same_name(strings[1], "netascii"))
        r.mode = Mode::netascii;
    else
        return refuse(fmt::format("mode '{}' is not supported", strings[1]));
    if (!parse_options(strings, 2, r.options, reason)) return refuse(reason);
    Decoded d;
    d.packet = std::move(r);
    return d;
}

} // namespace

std::string_view error_text(ErrorCode code) {
    switch (code) {
    case ErrorCode::not_defined:
        return "Not defined";
    case ErrorCode::file_not_found:
        return "File not found";
    case ErrorCode::access_violation:
        return "Access violation";
    case ErrorCode::disk_full:
        return "Disk full or allocation exceeded";
    case ErrorCode::illegal_operation:
        return "Illegal TFTP operation";
    case ErrorCode::unknown_tid:
        return "Unknown transfer ID";
    case ErrorCode::file_exists:
        return "File already exists";
    case ErrorCode::no_such_user:
        return "No such user";
    case ErrorCode::option_refused:
        return "Option negotiation refused";
    }
    return "Unknown error";
}

std::string_view mode_name(Mode mode) {
    return mode == Mode::octet ? "octet" : "netascii";
}

bool same_name(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

std::optional<std::uint64_t> parse_number(std::string_view text) {
    if (text.empty() || text.size() > 20) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        auto digit = static_cast<std::uint64_t>(c - '0');
        if (v > (UINT64_MAX - digit) / 10) return std::nullopt;
        v = v * 10 + digit;
    }
    return v;
}

Decoded decode(std::span<const std::uint8_t> datagram) {
    if (datagram.size() < 2) return refuse(fmt::format("packet of {} bytes has no opcode", datagram.size()));
    std::uint16_t op = get16(datagram, 0);
    switch (static_cast<Opcode>(op)) {
    case Opcode::rrq:
    case Opcode::wrq:
        return decode_request(static_cast<Opcode>(op), datagram);
    case Opcode::data: {
        if (datagram.size() < header_size) return refuse("DATA without a block number");
        if (datagram.size() - header_size > max_block_size)
            return refuse(fmt::format("DATA of {} bytes is larger than any block size", datagram.size() - 4));
        Decoded d;
        d.packet = Data{get16(datagram, 2), datagram.subspan(header_size)};
        return d;
    }
    case Opcode::ack: {
        if (datagram.size() != 4) return refuse(fmt::format("ACK of {} bytes instead of 4", datagram.size()));
        Decoded d;
        d.packet = Ack{get16(datagram, 2)};
        return d;
    }
    case Opcode::error: {
        if (datagram.size() < 5) return refuse("ERROR without code and message");
        auto text = datagram.subspan(4);
        std::size_t end = 0;
        while (end < text.size() && text[end] != 0) ++end;
        if (end == text.size()) return refuse("no NUL after the error message");
        if (end + 1 != text.size()) return refuse("bytes after the error message");
        Decoded d;
        d.packet = ErrorPacket{static_cast<ErrorCode>(get16(datagram, 2)),
                               std::string(reinterpret_cast<const char*>(text.data()), end)};
        return d;
    }
    case Opcode::oack: {
        if (datagram.size() > max_request_size) return refuse("OACK too long");
        std::vector<std::string> strings;
        std::string reason;
        if (!split_strings(datagram.subspan(2), strings, reason)) return refuse(reason);
        if (strings.empty()) return refuse("OACK without options");
        OptionAck oack;
        if (!parse_options(strings, 0, oack.options, reason)) return refuse(reason);
        Decoded d;
        d.packet = std::move(oack);
        return d;
    }
    }
    return refuse(fmt::format("unknown opcode {}", op));
}

std::vector<std::uint8_t> encode(const Request& request) {
    std::vector<std::uint8_t> out;
    put16(out, static_cast<std::uint16_t>(request.opcode));
    put_string(out, request.filename);
    put_string(out, mode_name(request.mode));
    for (const auto& o : request.options) {
        put_string(out, o.name);
        put_string(out, o.value);
    }
    return out;
}

std::vector<std::uint8_t> encode(const ErrorPacket& error) {
    std::vector<std::uint8_t> out;
    put16(out, static_cast<std::uint16_t>(Opcode::error));
    put16(out, static_cast<std::uint16_t>(error.code));
    std::string_view msg = error.message;
    // A NUL would end the message early on the other side; cut there, and keep the packet small.
    msg = msg.substr(0, std::min({msg.find('\0'), msg.size(), max_error_message}));
    put_string(out, msg);
    return out;
}

std::vector<std::uint8_t> encode(const OptionAck& oack) {
    std::vector<std::uint8_t> out;
    put16(out, static_cast<std::uint16_t>(Opcode::oack));
    for (const auto& o : oack.options) {
        put_string(out, o.name);
        put_string(out, o.value);
    }
    return out;
}

std::vector<std::uint8_t> encode_ack(std::uint16_t block) {
    std::vector<std::uint8_t> out;
    put16(out, static_cast<std::uint16_t>(Opcode::ack));
    put16(out, block);
    return out;
}

void encode_data_header(std::span<std::uint8_t> out, std::uint16_t block) {
    out[0] = 0;
    out[1] = static_cast<std::uint8_t>(Opcode::data);
    out[2] = static_cast<std::uint8_t>(block >> 8);
    out[3] = static_cast<std::uint8_t>(block);
}

std::vector<std::uint8_t> encode_data(std::uint16_t block, std::span<const std::uint8_t> payload) {
    std::vector<std::uint8_t> out(header_size + payload.size());
    encode_data_header(out, block);
    std::copy(payload.begin(), payload.end(), out.begin() + header_size);
    return out;
}

Negotiation negotiate(const Request& request, std::optional<std::uint64_t> file_size,
                      const ServerPolicy& policy) {
    Negotiation n;
    std::optional<std::size_t> window_at; // where windowsize sits in the OACK, filled in last
    for (const auto& o : request.options) {
        auto value = parse_number(o.value);
        if (same_name(o.name, "blksize")) {
            if (!value || *value < min_block_size) {
                n.refusal =
                    fmt::format("blksize '{}' is not in {}..{}", o.value, min_block_size, max_block_size);
                return n;
            }
            std::size_t size = *value;
            std::size_t limit = std::min(policy.max_block_size, max_block_size);
            if (*value > limit) {
                size = limit;
                n.notes.push_back(fmt::format("blksize {} lowered to {}", o.value, size));
            }
            n.settings.block_size = size;
            n.oack.push_back({o.name, std::to_string(size)});
        } else if (same_name(o.name, "windowsize")) {
            if (!value || *value < 1) {
                n.refusal = fmt::format("windowsize '{}' is not in 1..{}", o.value, max_window_size);
                return n;
            }
            n.settings.window_size = static_cast<unsigned>(std::min<std::uint64_t>(*value, max_window_size));
            window_at = n.oack.size();
            n.oack.push_back({o.name, o.value});
        } else if (same_name(o.name, "timeout")) {
            // RFC 2349: a server that cannot accept a timeout leaves it out of the OACK.
            unsigned limit = std::min(policy.max_timeout, max_timeout);
            if (!value || *value < min_timeout || *value > limit) {
                n.notes.push_back(
                    fmt::format("timeout '{}' not in {}..{}, ignored", o.value, min_timeout, limit));
                continue;
            }
            n.settings.timeout = static_cast<unsigned>(*value);
            n.oack.push_back({o.name, std::to_string(*value)});
        } else if (same_name(o.name, "tsize")) {
            if (!value) {
                n.notes.push_back(fmt::format("tsize '{}' is not a number, ignored", o.value));
                continue;
            }
            if (request.opcode == Opcode::wrq) {
                n.settings.file_size = *value;
                n.oack.push_back({o.name, std::to_string(*value)});
            } else if (file_size) {
                n.settings.file_size = *file_size;
                n.oack.push_back({o.name, std::to_string(*file_size)});
            } else {
                n.notes.push_back("tsize unknown in netascii, ignored");
            }
        } else {
            n.notes.push_back(fmt::format("unknown option '{}' ignored", o.name));
        }
    }
    if (window_at) {
        unsigned asked = n.settings.window_size;
        std::size_t fit = std::max<std::size_t>(1, policy.max_window_bytes / n.settings.block_size);
        unsigned granted = static_cast<unsigned>(std::min<std::size_t>({asked, policy.max_window_size, fit}));
        if (granted != asked) n.notes.push_back(fmt::format("windowsize {} lowered to {}", asked, granted));
        n.settings.window_size = granted;
        n.oack[*window_at].value = std::to_string(granted);
    }
    return n;
}

OackCheck check_oack(const std::vector<Option>& asked, const OptionAck& oack) {
    OackCheck c;
    for (const auto& o : oack.options) {
        const Option* request = nullptr;
        for (const auto& a : asked)
            if (same_name(a.name, o.name)) request = &a;
        if (!request) {
            c.reason = fmt::format("server acknowledged option '{}' that was not asked for", o.name);
            return c;
        }
        auto value = parse_number(o.value);
        auto limit = parse_number(request->value);
        auto bad = [&](std::string_view why) {
            c.reason = fmt::format("server answered {} '{}': {}", o.name, o.value, why);
        };
        if (same_name(o.name, "blksize")) {
            if (!value || *value < min_block_size || (limit && *value > *limit)) {
                bad("not between 8 and the size asked");
                return c;
            }
            c.settings.block_size = *value;
        } else if (same_name(o.name, "windowsize")) {
            if (!value || *value < 1 || (limit && *value > *limit)) {
                bad("not between 1 and the size asked");
                return c;
            }
            c.settings.window_size = static_cast<unsigned>(*value);
        } else if (same_name(o.name, "timeout")) {
            if (!value || *value < min_timeout || *value > max_timeout) {
                bad("not in 1..255");
                return c;
            }
            c.settings.timeout = static_cast<unsigned>(*value);
        } else if (same_name(o.name, "tsize")) {
            if (!value) {
                bad("not a number");
                return c;
            }
            c.settings.file_size = *value;
        }
    }
    return c;
}

void NetasciiEncoder::feed(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
    for (std::uint8_t b : in) {
        if (b == '\n') {
            out.push_back('\r');
            out.push_back('\n');
        } else if (b == '\r') {
            out.push_back('\r');
            out.push_back(0);
        } else {
            out.push_back(b);
        }
    }
}

void NetasciiDecoder::feed(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
    for (std::uint8_t b : in) {
        if (pending_cr_) {
            pending_cr_ = false;
            if (b == '\n') {
                out.push_back('\n');
                continue;
            }
            out.push_back('\r');
            if (b == 0) continue; // CR NUL is a carriage return alone
        }
        if (b == '\r')
            pending_cr_ = true;
        else
            out.push_back(b);
    }
}

void NetasciiDecoder::finish(std::vector<std::uint8_t>& out) {
    if (pending_cr_) out.push_back('\r');
    pending_cr_ = false;
}

} // namespace netlab::tftp
