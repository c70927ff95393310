// TFTP transfers over UDP: the block source and the windowed sender and receiver (RFC 1350, RFC 7440)
// with an adaptive retransmission timeout (RFC 6298); tftp_server and tftp_client run them.
#pragma once

#include "address.hpp"
#include "clock.hpp"
#include "fd.hpp"
#include "tftp.hpp"
#include "udp.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <poll.h>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace netlab::tftp {

using Duration = std::chrono::duration<double>;

// Room for a datagram larger than any block (65464 bytes and the header): one that fills it is malformed.
inline constexpr std::size_t receive_buffer_size = 65536 + 64;

struct Timing {
    Duration min_rto{0.005};   // loopback RTTs are microseconds; a floor keeps a loaded host from spinning
    Duration initial_rto{0.2}; // before the first RTT sample
    Duration max_rto{1.0};     // --timeout: the backoff stops here
    int retries = 5;           // give up after retries * max_rto without a valid packet from the peer
    // --busy-poll: when the peer's smoothed RTT is below this, wait for its next packet by polling
    // without sleeping for up to this long first. Stop-and-wait is bound by the round trip, and on
    // loopback half of it is the two wake-ups (measured: 512-byte blocks at 21 MB/s sleeping, 42
    // spinning). A slower peer (RTT above it) is never spun for. 0 = off.
    Duration busy_poll{50e-6};
    // The whole transfer must end within this, however steadily it progresses: a peer that moves
    // one block just before each idle timeout would otherwise hold it for hours. None: no limit.
    std::optional<Duration> time_limit;
};

// RFC 6298: SRTT and RTTVAR from samples, RTO = SRTT + 4 RTTVAR within [min, max], doubled on timeout.
class RtoEstimator {
public:
    explicit RtoEstimator(const Timing& t)
        : min_(t.min_rto), max_(t.max_rto), rto_(std::min(t.initial_rto, t.max_rto)) {}
    void sample(Duration rtt);
    void backoff() { rto_ = std::min(rto_ * 2, max_); }
    Duration rto() const { return rto_; }
    std::optional<Duration> srtt() const { return has_sample_ ? std::optional(srtt_) : std::nullopt; }

private:
    Duration min_, max_, rto_;
    Duration srtt_{0}, rttvar_{0};
    bool has_sample_ = false;
};

// How long to busy-poll for the peer's next packet: the whole `limit` when the smoothed RTT is known
// and below it, else nothing (no sample yet, or a peer too slow for spinning to pay).
Duration busy_poll_budget(std::optional<Duration> srtt, Duration limit);

// Drops or duplicates a fraction of the packets sent, from a seeded generator, to make loss visible.
struct Impairment {
    double drop = 0, dup = 0;
    std::uint64_t seed = 1;
};

struct Counters {
    std::uint64_t bytes = 0;  // file bytes moved (before netascii conversion)
    std::uint64_t blocks = 0; // data blocks accepted or acknowledged
    std::uint64_t packets_sent = 0;
    std::uint64_t retransmits = 0; // packets sent again after a timeout
    std::uint64_t timeouts = 0;
    std::uint64_t duplicates = 0; // duplicate ACKs or DATA (never answered by a retransmission)
    std::uint64_t malformed = 0;
    std::uint64_t unknown_tid = 0;             // packets from another port or host, answered with ERROR 5
    std::uint64_t window_cuts = 0;             // a sender's effective window reduced after a loss
    std::uint64_t dropped = 0, duplicated = 0; // by Impairment
    Counters& operator+=(const Counters& o);
};

// Reads block n (1-based, blocks of block_size) of a file, octet or converted to netascii.
class BlockSource {
public:
    // `name`: the file's name, for errors ("read boot/pxelinux.0: Input/output error").
    BlockSource(Fd file, Mode mode, std::size_t block_size, std::string name)
        : file_(std::move(file)), mode_(mode), block_(block_size), name_(std::move(name)) {}
    // Bytes of block n into out (block_size bytes); fewer than block_size only for the last. n must be
    // >= the last released block.
    std::size_t read(std::uint64_t n, std::span<std::uint8_t> out);
    // Blocks n, n+1, ... into outs (block_size bytes each), in octet mode with one preadv(2) for all;
    // the bytes read in all, so block i holds min(block_size, total - i * block_size) of them.
    std::size_t read_blocks(std::uint64_t n, std::span<const std::span<std::uint8_t>> outs);
    // Blocks before n will not be asked for again (netascii drops its buffer up to there).
    void release(std::uint64_t n);
    std::uint64_t file_bytes_read() const { return raw_read_; }
    // A client learns the block size from the OACK, after the source was made.
    void set_block_size(std::size_t size) { block_ = size; }

private:
    Fd file_;
    Mode mode_;
    std::size_t block_;
    std::string name_;
    std::vector<std::uint8_t> converted_; // netascii bytes from converted_start_ on
    std::uint64_t converted_start_ = 0, raw_read_ = 0;
    bool eof_ = false;
    NetasciiEncoder encoder_;
};

// Receives file bytes (after netascii decoding); finish() runs before the last ACK goes out, so a
// failure to commit the file becomes an ERROR instead of an acknowledgement.
struct BlockSink {
    std::function<void(std::span<const std::uint8_t>)> write;
    std::function<void()> finish;
    // Optional: told the size the server announced (tsize in its OACK) before any data; may throw
    // (a disk too small for it), which fails the transfer with ERROR 3.
    std::function<void(std::uint64_t)> expect;
};

enum class Status { running, complete, failed };

// One transfer on its own socket (its TID). The sender keeps a window of blocks in flight and moves it
// on each ACK; the receiver acknowledges each window, or the last in-order block when it sees a gap.
// A duplicate ACK never triggers a send: only a timeout does (RFC 1123 4.2.3.1).
//
// Congestion control, which RFC 7440 leaves out: a window larger than the receiver's socket buffer
// loses its tail in one burst, and resending the same burst loses it again. The sender sends every
// window whole (a receiver acknowledges only after windowsize blocks) but in bursts of an effective
// window, spaced by a pacing gap: the effective window starts at 4 blocks, doubles per clean window
// up to a threshold, then grows by one (slow start, additive increase), never above windowsize; a
// timeout collapses it to 1 and a partial ACK halves it, and each loss widens the gap (20 µs to
// 5 ms; 4 times after a timeout, twice after a partial ACK). A window resent after a timeout that gets
// through changes nothing: the next goes at the same pace. At the full windowsize the window goes in one
// burst, and clean windows wear the gap down.
class Transfer {
public:
    enum class Role { sender, receiver };
    struct Setup {
        Role role = Role::sender;
        Mode mode = Mode::octet;
        Settings settings;
        Timing timing;
        Impairment impairment;
        SocketAddress peer;              // the client, or the server's request port for a client
        bool peer_known = true;          // false for a client until the first reply names the server's TID
        std::vector<Option> asked;       // a client's options, to check the OACK
        std::vector<std::uint8_t> first; // OACK, ACK 0, RRQ or WRQ; empty: a sender starts with block 1
        // A receiver's limit on the file's bytes: a larger tsize is refused before any data, a longer
        // stream is cut (ERROR 3 both). None: the disk is the limit.
        std::optional<std::uint64_t> max_bytes;
    };
    Transfer(Fd socket, Setup setup, std::unique_ptr<BlockSource> source, BlockSink sink);

    void start(Clock::time_point now);
    // Reads and handles every datagram waiting on the socket.
    void on_readable(Clock::time_point now);
    void on_timer(Clock::time_point now);
    // The next timer: the retransmission timeout, or the next burst of a paced window.
    Clock::time_point deadline() const { return std::min({deadline_, pace_at_, give_up_at_}); }
    // Ends the transfer after an error outside the protocol (a failed system call).
    // Ends the transfer at once, telling the peer `told` in an ERROR 0.
    void abort(std::string why, std::string told = "server error") {
        fail(std::move(why), ErrorPacket{ErrorCode::not_defined, std::move(told)});
    }
    // Running, or complete but still dallying to re-acknowledge a lost last ACK.
    bool active(Clock::time_point now) const { return status_ == Status::running || now < dally_until_; }

    const Fd& socket() const { return socket_; }
    Status status() const { return status_; }
    const std::string& error() const { return error_; } // why it failed, the peer's message if it sent one
    const Counters& counters() const { return counters_; }
    const Settings& settings() const { return settings_; }
    bool options_ignored() const { return options_ignored_; } // the server answered without an OACK
    const SocketAddress& peer() const { return peer_; }
    Duration rto() const { return rto_.rto(); }
    Duration busy_poll() const { return busy_poll_budget(rto_.srtt(), timing_.busy_poll); }

private:
    void handle(std::span<const std::uint8_t> packet, const SocketAddress& from, Clock::time_point now);
    void handle_first_reply(const Decoded& d, const SocketAddress& from, Clock::time_point now);
    void on_ack(std::uint16_t block, Clock::time_point now);
    void on_data(const Data& data, Clock::time_point now);
    // Why a receiver refuses `incoming` more file bytes (past the announced tsize or max_bytes); empty: it
    // takes them.
    std::string excess(std::uint64_t incoming) const;
    void send_window(Clock::time_point now, bool retransmission);
    // The next burst of the window: all of it at the full windowsize, else the effective window.
    void send_burst(Clock::time_point now);
    void window_acked();              // a whole window arrived: the effective window grows
    void window_lost(bool timed_out); // it shrinks, and the gap between bursts widens
    void send_control(std::vector<std::uint8_t> packet, Clock::time_point now);
    // Spans for the payloads of `count` blocks in a window buffer, after each block's DATA header.
    std::span<const std::span<std::uint8_t>> payloads(std::vector<std::uint8_t>& buffer, std::size_t count);
    void send(std::span<const std::span<const std::uint8_t>> packets, const SocketAddress& to);
    void fail(std::string why, std::optional<ErrorPacket> tell_peer);
    void arm(Clock::time_point now) {
        // Once data flows, the sender's timer recovers every loss and the receiver's only backs it up:
        // at twice the RTO it no longer restarts the sender's window when one block is merely late.
        auto rto = role_ == Role::receiver && peer_known_ ? rto_.rto() * 2 : rto_.rto();
        deadline_ = now + std::chrono::duration_cast<Clock::duration>(rto);
    }

    Fd socket_;
    Role role_;
    Mode mode_;
    Settings settings_;
    Timing timing_;
    SocketAddress peer_;
    bool peer_known_;
    std::vector<Option> asked_;
    std::optional<std::uint64_t> max_bytes_;
    std::unique_ptr<BlockSource> source_;
    BlockSink sink_;
    std::mt19937_64 rng_;
    Impairment impairment_;
    RtoEstimator rto_;

    Status status_ = Status::running;
    std::string error_;
    Counters counters_;
    bool options_ignored_ = false;
    std::vector<std::uint8_t> control_; // the packet resent on timeout while no data flows
    bool control_is_window_ = false;    // the sender resends its window instead
    Clock::time_point deadline_ = Clock::time_point::max();
    Clock::time_point last_heard_{}, window_sent_at_{}, dally_until_{};
    Clock::time_point started_{}, give_up_at_ = Clock::time_point::max(); // Timing::time_limit
    bool retransmitted_ = false;

    // sender
    std::uint64_t base_ = 0;       // first unacknowledged block; 0 while the OACK awaits ACK 0
    std::uint64_t sent_end_ = 0;   // last block sent in the current window
    std::uint64_t last_block_ = 0; // the short block ending the file, once read
    std::vector<std::uint8_t> window_buffer_;
    std::vector<std::span<const std::uint8_t>> window_packets_;
    std::vector<std::span<std::uint8_t>> window_payloads_;
    std::vector<std::uint8_t> next_buffer_; // the window after the one in flight, read ahead
    std::uint64_t next_base_ = 0;           // its first block; 0: nothing read ahead
    std::size_t next_count_ = 0, next_total_ = 0;
    double cwnd_ = 0, ssthresh_ = 0; // effective window and slow-start threshold, in blocks
    Duration gap_{0};                // between the bursts of one window
    std::size_t burst_next_ = 0;     // the first packet of window_packets_ not sent yet
    Clock::time_point pace_at_ = Clock::time_point::max(); // when it goes
    // receiver
    std::uint64_t expected_ = 1;
    unsigned since_ack_ = 0;
    bool dup_acked_ = false, gap_acked_ = false;
    NetasciiDecoder decoder_;
    std::vector<std::uint8_t> decoded_;
    ReceiveBatch batch_; // several datagrams per recvmmsg(2): a window arrives in one call
};

// Busy-polls fds for up to `budget` (never past `deadline`), then sleeps until `deadline` if nothing
// came, at most a second; a transfer's loop waits with it between packets.
void wait_readable(std::span<pollfd> fds, Duration budget, Clock::time_point deadline);

// A socket for one transfer: bound to a new port on `local`'s address, buffers sized for a whole window.
Fd open_transfer_socket(const SocketAddress& local, const Settings& settings);

} // namespace netlab::tftp
