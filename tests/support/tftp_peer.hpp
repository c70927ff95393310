// A raw TFTP peer for integration tests (RFC 1350): crafted datagrams out, decoded packets in, and a
// step-by-step download the test drives between its attacks.
#pragma once

#include "address.hpp"
#include "fd.hpp"
#include "tftp.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace netlab::test {

// A UDP socket on a loopback address (127.0.0.1 unless told), port chosen by the kernel unless told.
struct RawPeer {
    Fd fd;
    std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(70000);
    SocketAddress last_from;
    explicit RawPeer(const std::string& ip = "127.0.0.1", std::uint16_t port = 0);
    std::uint16_t port() const;
    void send(std::uint16_t port, const std::vector<std::uint8_t>& bytes);
    void send(std::uint16_t port, std::string_view bytes);
    // The next datagram, decoded (reason "timeout" when none came).
    tftp::Decoded receive(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
};

std::vector<std::uint8_t> rrq(const std::string& name, std::vector<tftp::Option> options = {});

// A well-behaved RFC 1350 download (512-byte blocks, no options) that moves one block per step(), so a
// test can keep it running while it attacks the server, then check what arrived.
class SteppedDownload {
public:
    SteppedDownload(std::uint16_t server_port, const std::string& name);
    // Waits for the next block and acknowledges it; answers a repeated block with the last ACK again.
    // False once the download is over (done() or failed: error() says why).
    bool step();
    // Steps to the end; the bytes received.
    const std::string& finish();
    bool done() const { return done_; }
    const std::string& error() const { return error_; }
    const std::string& data() const { return data_; }
    std::uint16_t tid() const { return tid_; } // the server's port for this transfer, 0 before DATA 1
    RawPeer& peer() { return peer_; }

private:
    RawPeer peer_;
    std::string data_, error_;
    std::uint16_t tid_ = 0, expected_ = 1;
    bool done_ = false;
};

// A strict RFC 7440 receiver with an ordinary socket buffer, as most clients are: it asks for blksize
// and windowsize, reads one datagram per call from a SO_RCVBUF of `receive_buffer` bytes, keeps only
// the next block in order, and acknowledges after `windowsize` blocks, at the short last block, or
// when nothing came for `ack_timeout` (the last block it has, again). It never acknowledges a gap
// early: the sender learns of a loss only by its own timer or this one. After each ACK it stops
// reading for `pause_after_ack`, as a client that writes out each window does: a window that does
// not fit its buffer loses its tail every time it is sent in one burst.
struct SmallBufferDownload {
    std::size_t block_size = 512;
    unsigned window_size = 1;
    int receive_buffer = 65536;
    std::chrono::microseconds pause_after_ack{1000};
    std::chrono::milliseconds ack_timeout{3000}; // longer than a sender's backoff: its timer recovers
    std::chrono::milliseconds give_up{20000};    // the whole transfer: bounded whatever the server does

    struct Result {
        bool complete = false;
        std::string data, error;
        unsigned acks = 0, timeouts = 0, discarded = 0; // discarded: DATA not the next block in order
        double seconds = 0;
    };
    Result fetch(std::uint16_t server_port, const std::string& name) const;
};

// Files for a served root: n bytes from a seeded generator, written and read back in binary.
std::string random_bytes(std::size_t n, unsigned seed);
void write_file(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);

// Resident memory of a process in KiB (VmRSS in /proc/PID/status).
long resident_kib(int pid);
// Its threads (Threads: in /proc/PID/status): for ftp-serve, 1 + the transfers running. -1 when gone.
long thread_count(int pid);

} // namespace netlab::test
