// TFTP packets as pure encode/decode functions, option negotiation and netascii: RFC 1350, options
// RFC 2347, blksize RFC 2348, timeout and tsize RFC 2349, windowsize RFC 7440.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace netlab::tftp {

constexpr std::uint16_t default_port = 6969; // 69 needs root
constexpr std::size_t default_block_size = 512;
constexpr std::size_t min_block_size = 8;
constexpr std::size_t max_block_size = 65464; // RFC 2348: the largest that fits an IPv4 datagram
constexpr unsigned min_timeout = 1, max_timeout = 255;
constexpr unsigned max_window_size = 65535;
// RFC 2347 limits a request with its options to 512 octets; a few clients exceed it, so we accept
// twice that, and refuse more: a request is the only packet a stranger can send us unprompted.
constexpr std::size_t max_request_size = 1024;
constexpr std::size_t max_options = 16;
constexpr std::size_t header_size = 4; // opcode + block number of DATA

enum class Opcode : std::uint16_t { rrq = 1, wrq = 2, data = 3, ack = 4, error = 5, oack = 6 };

enum class ErrorCode : std::uint16_t {
    not_defined = 0,
    file_not_found = 1,
    access_violation = 2,
    disk_full = 3,
    illegal_operation = 4,
    unknown_tid = 5,
    file_exists = 6,
    no_such_user = 7,
    option_refused = 8, // RFC 2347
};
// The RFC's wording of a code, used when a peer sends an empty message.
std::string_view error_text(ErrorCode code);

enum class Mode { octet, netascii };
std::string_view mode_name(Mode mode);

struct Option {
    std::string name; // as sent; compared case-insensitively
    std::string value;
    friend bool operator==(const Option&, const Option&) = default;
};

struct Request {
    Opcode opcode = Opcode::rrq; // rrq or wrq
    std::string filename;
    Mode mode = Mode::octet;
    std::vector<Option> options;
};
struct Data {
    std::uint16_t block = 0;
    std::span<const std::uint8_t> payload; // points into the decoded datagram
};
struct Ack {
    std::uint16_t block = 0;
};
struct ErrorPacket {
    ErrorCode code = ErrorCode::not_defined;
    std::string message;
};
struct OptionAck {
    std::vector<Option> options;
};

using Packet = std::variant<Request, Data, Ack, ErrorPacket, OptionAck>;

// A decoded packet or the reason it was refused (reason empty when it decoded). `code` is what an
// ERROR reply should carry: illegal_operation for broken packets.
struct Decoded {
    Packet packet;
    std::string reason;
    ErrorCode code = ErrorCode::illegal_operation;
    bool ok() const { return reason.empty(); }
};

// Decodes one datagram; never reads past it, never trusts a length, string or count in it.
Decoded decode(std::span<const std::uint8_t> datagram);

std::vector<std::uint8_t> encode(const Request& request);
std::vector<std::uint8_t> encode(const ErrorPacket& error);
std::vector<std::uint8_t> encode(const OptionAck& oack);
std::vector<std::uint8_t> encode_ack(std::uint16_t block);
// Writes the 4-byte DATA header in front of a payload the caller places at out[header_size..].
void encode_data_header(std::span<std::uint8_t> out, std::uint16_t block);
std::vector<std::uint8_t> encode_data(std::uint16_t block, std::span<const std::uint8_t> payload);

// What a transfer runs with once options are settled; the RFC 1350 defaults when none were.
struct Settings {
    std::size_t block_size = default_block_size;
    unsigned window_size = 1;
    std::optional<unsigned> timeout;        // seconds the peer asked us to wait (RFC 2349)
    std::optional<std::uint64_t> file_size; // tsize
};

// The server's limits when it answers options.
struct ServerPolicy {
    std::size_t max_block_size = tftp::max_block_size;
    unsigned max_window_size = 64;
    // A transfer holds its slot for retries x timeout of silence: a client asking timeout 255 would
    // keep it 21 minutes. Larger timeouts are left out of the OACK (RFC 2349 lets a server decline).
    unsigned max_timeout = 5;
    // A whole window must fit the socket buffers; window_size is lowered until window bytes fit.
    std::size_t max_window_bytes = 16u << 20;
};

// The server's answer to a request's options: the settings, the OACK to send (empty: no OACK, reply
// as RFC 1350) and notes for the log; or a refusal (reason set: send ERROR 8 with it).
struct Negotiation {
    Settings settings;
    std::vector<Option> oack;
    std::vector<std::string> notes; // "blksize 70000 clamped to 65464", "unknown option foo ignored"
    std::string refusal;
    bool refused() const { return !refusal.empty(); }
};

// Server side. `file_size` is the size of the file an RRQ reads (tsize is answered only when it is known,
// which a netascii transfer's is not); a WRQ's tsize is taken as the size the client announces.
Negotiation negotiate(const Request& request, std::optional<std::uint64_t> file_size,
                      const ServerPolicy& policy);

// Client side: checks a server's OACK against what was asked (RFC 2347: no option that was not asked,
// no blksize or windowsize larger than asked) and returns the settings, or the reason to abort.
struct OackCheck {
    Settings settings;
    std::string reason;
    bool ok() const { return reason.empty(); }
};
OackCheck check_oack(const std::vector<Option>& asked, const OptionAck& oack);

// Parses a decimal option value without sign, spaces or overflow.
std::optional<std::uint64_t> parse_number(std::string_view text);
bool same_name(std::string_view a, std::string_view b); // ASCII case-insensitive

// netascii (RFC 764 via RFC 1350): on the wire every line ends with CR LF and a lone CR is CR NUL.
// Both converters keep state across calls, so blocks may split a CR LF pair.
class NetasciiEncoder {
public:
    void feed(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out);
};
class NetasciiDecoder {
public:
    void feed(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out);
    // At the end of the data: a CR left waiting for its partner is kept as it is.
    void finish(std::vector<std::uint8_t>& out);

private:
    bool pending_cr_ = false;
};

} // namespace netlab::tftp
