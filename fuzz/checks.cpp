// The fuzz targets' bodies: the decoders of lib/ fed with any bytes, and the properties they promise.
#include "checks.hpp"

#include "address.hpp"
#include "confine.hpp"
#include "error.hpp"
#include "json.hpp"
#include "json_reader.hpp"
#include "score_record.hpp"
#include "text.hpp"
#include "tftp.hpp"
#include "time_stamp.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <fmt/format.h>
#include <string>
#include <vector>

// Throws Violation naming the property; a macro only to quote the condition and its line.
#define NETLAB_EXPECT(cond)                                                                                  \
    do {                                                                                                     \
        if (!(cond)) throw Violation(fmt::format("{}:{}: property failed: {}", __FILE__, __LINE__, #cond));  \
    } while (0)

namespace netlab::fuzz {

namespace {

std::string_view as_text(Input in) {
    return {reinterpret_cast<const char*>(in.data()), in.size()};
}

// A view returned by a decoder must lie inside the bytes it decoded: it never reads past them.
void expect_inside(const void* p, std::size_t size, Input in) {
    auto* b = static_cast<const std::uint8_t*>(p);
    NETLAB_EXPECT(size == 0 || (b >= in.data() && b + size <= in.data() + in.size()));
}

// ---- score record ----

void score_record(Input in) {
    auto check = [&](Input data, std::size_t length) {
        score::Decoded d = score::decode(data, length);
        NETLAB_EXPECT(!score::describe(d.error, length).empty());
        NETLAB_EXPECT(!score::annotated_dump(data, length).empty());
        if (!d.ok()) return;
        NETLAB_EXPECT(length == data.size());
        NETLAB_EXPECT(length >= score::min_datagram && length <= score::max_datagram);
        expect_inside(d.record.name.data(), d.record.name.size(), data);
        NETLAB_EXPECT(!score::check_name(d.record.name));
        // The datagram is the encoded record followed by zero padding only.
        auto encoded = score::encode(d.record);
        NETLAB_EXPECT(encoded.size() <= data.size());
        NETLAB_EXPECT(std::equal(encoded.begin(), encoded.end(), data.begin()));
        NETLAB_EXPECT(std::all_of(data.begin() + encoded.size(), data.end(), [](auto b) { return b == 0; }));
    };
    check(in, in.size());
    // As a receive buffer shorter than the datagram leaves it: truncated, never decoded.
    check(in.first(in.size() / 2), in.size());

    // The input taken as a record to send: what check_name lets through decodes back to itself.
    if (in.size() < score::header_size) return;
    auto be32 = [&](std::size_t at) {
        return std::uint32_t(in[at]) << 24 | std::uint32_t(in[at + 1]) << 16 |
               std::uint32_t(in[at + 2]) << 8 | std::uint32_t(in[at + 3]);
    };
    score::Record r{as_text(in.subspan(score::header_size)), be32(0), be32(4)};
    if (score::check_name(r.name)) return;
    auto bytes = score::encode(r);
    score::Decoded back = score::decode(bytes);
    NETLAB_EXPECT(back.ok());
    NETLAB_EXPECT(back.record.name == r.name && back.record.math == r.math &&
                  back.record.chinese == r.chinese);
}

// ---- time stamps ----

void stamp_common(stamp::Format format, Input in) {
    stamp::Parsed p = stamp::parse(format, in);
    NETLAB_EXPECT(!stamp::describe(p.error).empty());
    if (!p.ok()) return;
    NETLAB_EXPECT(p.error == stamp::ParseError::none);
    // What tcp-stamp-client does with a parsed stamp, whatever its value.
    NETLAB_EXPECT(!stamp::iso8601(p.seconds, false).empty());
    NETLAB_EXPECT(!stamp::iso8601(p.seconds, true).empty());
    for (auto f : {stamp::Format::unix_seconds, stamp::Format::rfc868, stamp::Format::daytime})
        NETLAB_EXPECT(stamp::encode(f, p.seconds).size() <= 32);
    // A server's reply for these seconds parses back to them.
    std::string reply = stamp::encode(format, p.seconds);
    stamp::Parsed back =
        stamp::parse(format, {reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()});
    NETLAB_EXPECT(back.ok() && back.seconds == p.seconds);
    if (format == stamp::Format::rfc868) NETLAB_EXPECT(reply == as_text(in)); // 4 bytes, one meaning
}

void stamp_unix(Input in) {
    stamp_common(stamp::Format::unix_seconds, in);
}
void stamp_rfc868(Input in) {
    stamp_common(stamp::Format::rfc868, in);
}
void stamp_daytime(Input in) {
    stamp_common(stamp::Format::daytime, in);
}

// ---- TFTP ----

bool same_options(const std::vector<tftp::Option>& a, const std::vector<tftp::Option>& b) {
    return a == b;
}

// Re-encodes a decoded packet and decodes that again: the same packet must come back.
void tftp_round_trip(const tftp::Packet& packet, Input in) {
    std::vector<std::uint8_t> bytes;
    if (auto* r = std::get_if<tftp::Request>(&packet))
        bytes = tftp::encode(*r);
    else if (auto* d = std::get_if<tftp::Data>(&packet))
        bytes = tftp::encode_data(d->block, d->payload);
    else if (auto* a = std::get_if<tftp::Ack>(&packet))
        bytes = tftp::encode_ack(a->block);
    else if (auto* e = std::get_if<tftp::ErrorPacket>(&packet))
        bytes = tftp::encode(*e);
    else if (auto* o = std::get_if<tftp::OptionAck>(&packet))
        bytes = tftp::encode(*o);
    tftp::Decoded again = tftp::decode(bytes);
    NETLAB_EXPECT(again.ok());
    NETLAB_EXPECT(again.packet.index() == packet.index());
    if (auto* r = std::get_if<tftp::Request>(&packet)) {
        auto& r2 = std::get<tftp::Request>(again.packet);
        NETLAB_EXPECT(r2.opcode == r->opcode && r2.filename == r->filename && r2.mode == r->mode);
        NETLAB_EXPECT(same_options(r2.options, r->options));
    } else if (auto* e = std::get_if<tftp::ErrorPacket>(&packet)) {
        auto& e2 = std::get<tftp::ErrorPacket>(again.packet);
        NETLAB_EXPECT(e2.code == e->code);
        NETLAB_EXPECT(e->message.size() > 512 ? e2.message == e->message.substr(0, 512)
                                              : e2.message == e->message);
        if (e->message.size() <= 512)
            NETLAB_EXPECT(std::equal(bytes.begin(), bytes.end(), in.begin(), in.end()));
    } else if (auto* o = std::get_if<tftp::OptionAck>(&packet)) {
        NETLAB_EXPECT(same_options(std::get<tftp::OptionAck>(again.packet).options, o->options));
        NETLAB_EXPECT(std::equal(bytes.begin(), bytes.end(), in.begin(), in.end()));
    } else {
        // DATA and ACK have one encoding.
        NETLAB_EXPECT(std::equal(bytes.begin(), bytes.end(), in.begin(), in.end()));
    }
}

// What the server answers to a request must be what its client accepts, with the same settings.
void tftp_negotiation(const tftp::Request& r, Input in) {
    std::optional<std::uint64_t> file_size;
    if (r.mode == tftp::Mode::octet) file_size = in.size() * 1000003ULL;
    tftp::ServerPolicy policy;
    tftp::Negotiation n = tftp::negotiate(r, file_size, policy);
    if (n.refused()) return;
    const tftp::Settings& s = n.settings;
    NETLAB_EXPECT(s.block_size >= tftp::min_block_size && s.block_size <= tftp::max_block_size);
    NETLAB_EXPECT(s.window_size >= 1 && s.window_size <= policy.max_window_size);
    NETLAB_EXPECT(s.window_size == 1 || s.window_size * s.block_size <= policy.max_window_bytes);
    if (s.timeout) NETLAB_EXPECT(*s.timeout >= tftp::min_timeout && *s.timeout <= tftp::max_timeout);
    NETLAB_EXPECT(n.oack.size() <= r.options.size());
    tftp::OackCheck c = tftp::check_oack(r.options, tftp::OptionAck{n.oack});
    NETLAB_EXPECT(c.ok());
    if (n.oack.empty()) return;
    NETLAB_EXPECT(c.settings.block_size == s.block_size && c.settings.window_size == s.window_size);
    NETLAB_EXPECT(c.settings.timeout == s.timeout && c.settings.file_size == s.file_size);
    // The OACK the server would send decodes as one.
    tftp::Decoded oack = tftp::decode(tftp::encode(tftp::OptionAck{n.oack}));
    NETLAB_EXPECT(oack.ok() && std::holds_alternative<tftp::OptionAck>(oack.packet));
}

void tftp_packet(Input in) {
    tftp::Decoded d = tftp::decode(in);
    if (!d.ok()) {
        NETLAB_EXPECT(d.code == tftp::ErrorCode::illegal_operation);
        // The refusal goes back to the peer in an ERROR packet, which must stay small.
        NETLAB_EXPECT(tftp::encode(tftp::ErrorPacket{d.code, d.reason}).size() <= 4 + 512 + 1);
        return;
    }
    if (auto* data = std::get_if<tftp::Data>(&d.packet)) {
        expect_inside(data->payload.data(), data->payload.size(), in);
        NETLAB_EXPECT(data->payload.size() == in.size() - tftp::header_size);
    }
    if (auto* r = std::get_if<tftp::Request>(&d.packet)) {
        NETLAB_EXPECT(in.size() <= tftp::max_request_size && !r->filename.empty());
        NETLAB_EXPECT(r->options.size() <= tftp::max_options);
        NETLAB_EXPECT(r->filename.find('\0') == std::string::npos);
        tftp_negotiation(*r, in);
        // The file name reaches the confinement check; whatever it says, it must not throw.
        (void)check_relative_path(r->filename);
    }
    if (auto* o = std::get_if<tftp::OptionAck>(&d.packet)) {
        NETLAB_EXPECT(!o->options.empty() && o->options.size() <= tftp::max_options);
        // A client that asked for the usual options checks the server's answer.
        std::vector<tftp::Option> asked = {
            {"blksize", "1428"}, {"windowsize", "16"}, {"timeout", "3"}, {"tsize", "0"}};
        tftp::OackCheck c = tftp::check_oack(asked, *o);
        if (c.ok()) {
            NETLAB_EXPECT(c.settings.block_size >= tftp::min_block_size && c.settings.block_size <= 1428);
            NETLAB_EXPECT(c.settings.window_size >= 1 && c.settings.window_size <= 16);
        }
    }
    tftp_round_trip(d.packet, in);
}

// netascii: decoding undoes encoding, and neither depends on where blocks split the bytes.
void tftp_netascii(Input in) {
    std::size_t split = in.empty() ? 0 : in[0] % (in.size() + 1);
    std::vector<std::uint8_t> wire, wire_whole;
    tftp::NetasciiEncoder enc, enc_whole;
    enc.feed(in.first(split), wire);
    enc.feed(in.subspan(split), wire);
    enc_whole.feed(in, wire_whole);
    NETLAB_EXPECT(wire == wire_whole);
    for (std::size_t i = 0; i < wire.size(); ++i) {
        if (wire[i] == '\n') NETLAB_EXPECT(i > 0 && wire[i - 1] == '\r');
        if (wire[i] == '\r') NETLAB_EXPECT(i + 1 < wire.size() && (wire[i + 1] == '\n' || wire[i + 1] == 0));
    }
    std::vector<std::uint8_t> back;
    tftp::NetasciiDecoder dec;
    std::size_t wire_split = std::min(wire.size(), split * 2);
    dec.feed(std::span(wire).first(wire_split), back);
    dec.feed(std::span(wire).subspan(wire_split), back);
    dec.finish(back);
    NETLAB_EXPECT(std::equal(back.begin(), back.end(), in.begin(), in.end()));
    // Any bytes from a peer: split or whole, the same file, never longer than what arrived.
    std::vector<std::uint8_t> a, b;
    tftp::NetasciiDecoder d1, d2;
    d1.feed(in.first(split), a);
    d1.feed(in.subspan(split), a);
    d1.finish(a);
    d2.feed(in, b);
    d2.finish(b);
    NETLAB_EXPECT(a == b && a.size() <= in.size());
}

// ---- addresses ----

void address(Input in) {
    std::string_view text = as_text(in);
    try {
        HostPort hp = split_host_port(text);
        NETLAB_EXPECT(hp.host.size() + hp.port.size() <= text.size());
    } catch (const UsageError&) {
    }
    try {
        std::uint16_t port = parse_port(text);
        NETLAB_EXPECT(std::to_string(port) == text || text.front() == '0');
    } catch (const UsageError&) {
    }
    std::optional<SocketAddress> addr;
    try {
        addr = SocketAddress::parse_numeric(text, 2333);
    } catch (const UsageError&) {
        return;
    }
    if (!addr) return;
    // Text that holds a NUL is not an address, even if its start is one.
    NETLAB_EXPECT(text.find('\0') == std::string_view::npos);
    NETLAB_EXPECT(addr->family() == AF_INET || addr->family() == AF_INET6);
    // What netlab prints for an address parses back to the same address.
    std::string printed = addr->to_string();
    std::optional<SocketAddress> again = SocketAddress::parse_numeric(printed, 0);
    NETLAB_EXPECT(again && again->port() == addr->port() && again->ip() == addr->ip());
}

// ---- text shown to people ----

// True when s is UTF-8 (RFC 3629); with no_controls, also free of C0 controls, DEL and C1 controls.
bool valid_utf8(std::string_view s, bool no_controls = false) {
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (no_controls && (c < 0x20 || c == 0x7f)) return false;
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
        if (len == 0 || c > 0xF4 || i + len > s.size()) return false;
        std::uint32_t cp = c & (0x7F >> len);
        for (std::size_t k = 1; k < len; ++k) {
            auto b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xC0) != 0x80) return false;
            cp = cp << 6 | (b & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF) return false;
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;
        if (no_controls && cp < 0xA0) return false; // C1 controls
        i += len;
    }
    return true;
}

bool valid_utf8_without_controls(std::string_view s) {
    return valid_utf8(s, true);
}

// Undoes escape_terminal: "\\" and "\xNN"; nullopt for anything else after a backslash.
std::optional<std::string> unescape(std::string_view s) {
    std::string out;
    auto hex = [](char c) { return c >= 'a' ? c - 'a' + 10 : c - '0'; };
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\') {
            out += s[i];
        } else if (i + 1 < s.size() && s[i + 1] == '\\') {
            out += '\\';
            ++i;
        } else if (i + 3 < s.size() && s[i + 1] == 'x') {
            out += static_cast<char>(hex(s[i + 2]) << 4 | hex(s[i + 3]));
            i += 3;
        } else {
            return std::nullopt;
        }
    }
    return out;
}

void text_escape(Input in) {
    std::string_view text = as_text(in);
    std::string shown = escape_terminal(text);
    NETLAB_EXPECT(valid_utf8_without_controls(shown));
    NETLAB_EXPECT(unescape(shown) == std::string(text)); // so two names never look the same
    // The eight-bytes-at-a-time check agrees with the plain definition, at every alignment.
    for (std::size_t skip = 0; skip < 8 && skip <= text.size(); ++skip) {
        std::string_view part = text.substr(skip);
        bool plain = std::all_of(part.begin(), part.end(), [](char ch) {
            auto c = static_cast<unsigned char>(ch);
            return c >= 0x20 && c < 0x7f && c != '\\';
        });
        NETLAB_EXPECT(is_plain_ascii(part) == plain);
    }
    // The JSON line carries the bytes exactly (in "name", or in "name_hex" when they are not UTF-8) and
    // holds no control character but its final newline, whatever the name.
    std::string line;
    json::Line(line).field("name", text).end();
    NETLAB_EXPECT(!line.empty() && line.back() == '\n');
    NETLAB_EXPECT(valid_utf8_without_controls(std::string_view(line).substr(0, line.size() - 1)));
    std::optional<test::json::Value> parsed = test::json::parse(line);
    NETLAB_EXPECT(parsed && test::json::field_bytes(*parsed, "name") == std::string(text));
    NETLAB_EXPECT((parsed->find("name_hex") != nullptr) == !valid_utf8(text));
}

// ---- file names from TFTP requests ----

void tftp_path(Input in) {
    std::string_view path = as_text(in);
    Refusal r = check_relative_path(path);
    NETLAB_EXPECT(r == Refusal::none || r == Refusal::not_found || r == Refusal::outside_root);
    if (r != Refusal::none) return;
    NETLAB_EXPECT(!path.empty() && path.front() != '/');
    // open(2) would stop at a NUL: "..\0x" must not pass as a name that is not "..".
    NETLAB_EXPECT(path.find('\0') == std::string_view::npos);
    // No ".." component, however slashes are repeated.
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = std::min(path.find('/', start), path.size());
        NETLAB_EXPECT(path.substr(start, end - start) != "..");
        start = end + 1;
    }
}

constexpr std::array all_targets = {
    Target{"score_record", score_record}, Target{"stamp_unix", stamp_unix},
    Target{"stamp_rfc868", stamp_rfc868}, Target{"stamp_daytime", stamp_daytime},
    Target{"tftp_packet", tftp_packet},   Target{"tftp_netascii", tftp_netascii},
    Target{"tftp_path", tftp_path},       Target{"address", address},
    Target{"text_escape", text_escape},
};

} // namespace

std::span<const Target> targets() {
    return all_targets;
}

const Target* find_target(std::string_view name) {
    for (const auto& t : all_targets)
        if (t.name == name) return &t;
    return nullptr;
}

} // namespace netlab::fuzz
