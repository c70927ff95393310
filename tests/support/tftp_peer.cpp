// A raw TFTP peer for integration tests (RFC 1350).
#include "tftp_peer.hpp"

#include "netlab_test.hpp"

#include "datagram.hpp"
#include "sockopt.hpp"
#include "sys.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <poll.h>
#include <random>
#include <sstream>
#include <thread>

namespace netlab::test {

RawPeer::RawPeer(const std::string& ip, std::uint16_t port) : fd(sys::socket(AF_INET, SOCK_DGRAM)) {
    sys::bind(fd, *SocketAddress::parse_numeric(ip, port));
}

std::uint16_t RawPeer::port() const {
    return sys::local_address(fd).port();
}

void RawPeer::send(std::uint16_t port, const std::vector<std::uint8_t>& bytes) {
    send_to(fd, bytes, SocketAddress::loopback(Family::v4, port));
}

void RawPeer::send(std::uint16_t port, std::string_view bytes) {
    send(port, std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
}

tftp::Decoded RawPeer::receive(std::chrono::milliseconds timeout) {
    pollfd p{fd.get(), POLLIN, 0};
    if (sys::poll({&p, 1}, static_cast<int>(timeout.count())) == 0) {
        tftp::Decoded d;
        d.reason = "timeout";
        return d;
    }
    auto r = receive_from(fd, buffer);
    REQUIRE(r);
    last_from = r->from;
    return tftp::decode({buffer.data(), r->length});
}

SmallBufferDownload::Result SmallBufferDownload::fetch(std::uint16_t server_port,
                                                       const std::string& name) const {
    Result r;
    RawPeer peer;
    sockopt::receive_buffer(peer.fd, receive_buffer);
    auto start = std::chrono::steady_clock::now(), give_up_at = start + give_up;
    peer.send(server_port, rrq(name, {{"blksize", std::to_string(block_size)},
                                      {"windowsize", std::to_string(window_size)}}));
    std::uint16_t tid = 0;
    std::size_t block = 512; // RFC 1350's until an OACK grants the options
    unsigned window = 1;
    std::uint64_t have = 0; // blocks received in order
    unsigned since_ack = 0;
    auto ack = [&] {
        peer.send(tid, tftp::encode_ack(static_cast<std::uint16_t>(have)));
        ++r.acks;
        since_ack = 0;
        std::this_thread::sleep_for(pause_after_ack); // a slow peer by design: see the header
    };
    while (!r.complete && r.error.empty()) {
        if (std::chrono::steady_clock::now() >= give_up_at) {
            r.error = "gave up: the transfer was not over in time";
            break;
        }
        tftp::Decoded d = peer.receive(ack_timeout);
        if (d.reason == "timeout") {
            ++r.timeouts;
            if (tid) ack(); // ACK 0 again before any DATA; the RRQ is not repeated (the server answered)
            continue;
        }
        if (!d.ok()) {
            r.error = "undecodable packet: " + d.reason;
            break;
        }
        if (auto* e = std::get_if<tftp::ErrorPacket>(&d.packet)) {
            r.error = "ERROR from the server: " + e->message;
            break;
        }
        tid = peer.last_from.port();
        if (auto* oack = std::get_if<tftp::OptionAck>(&d.packet)) {
            for (const auto& o : oack->options) { // the server may grant less than asked
                if (o.name == "blksize") block = std::stoul(o.value);
                if (o.name == "windowsize") window = static_cast<unsigned>(std::stoul(o.value));
            }
            if (have == 0) ack(); // ACK 0 accepts the options
            continue;
        }
        auto* data = std::get_if<tftp::Data>(&d.packet);
        if (!data) {
            r.error = "unexpected packet";
            break;
        }
        if (data->block != static_cast<std::uint16_t>(have + 1)) {
            ++r.discarded;
            continue;
        }
        ++have;
        r.data.append(data->payload.begin(), data->payload.end());
        bool last = data->payload.size() < block;
        if (++since_ack >= window || last) ack();
        r.complete = last;
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

std::vector<std::uint8_t> rrq(const std::string& name, std::vector<tftp::Option> options) {
    tftp::Request r;
    r.filename = name;
    r.options = std::move(options);
    return tftp::encode(r);
}

SteppedDownload::SteppedDownload(std::uint16_t server_port, const std::string& name) {
    peer_.send(server_port, rrq(name));
}

bool SteppedDownload::step() {
    if (done_ || !error_.empty()) return false;
    // A few tries: the server's retransmissions and our own re-ACKs may come first.
    for (int tries = 0; tries < 20; ++tries) {
        tftp::Decoded d = peer_.receive(std::chrono::milliseconds(3000));
        if (!d.ok()) {
            error_ = d.reason;
            return false;
        }
        if (auto* e = std::get_if<tftp::ErrorPacket>(&d.packet)) {
            error_ = "ERROR " + std::to_string(static_cast<int>(e->code)) + ": " + e->message;
            return false;
        }
        auto* data = std::get_if<tftp::Data>(&d.packet);
        if (!data) continue;
        if (tid_ == 0) tid_ = peer_.last_from.port();
        if (peer_.last_from.port() != tid_) continue;
        if (data->block == expected_) {
            data_.append(data->payload.begin(), data->payload.end());
            peer_.send(tid_, tftp::encode_ack(expected_));
            ++expected_;
            done_ = data->payload.size() < tftp::default_block_size;
            return !done_;
        }
        if (data->block == static_cast<std::uint16_t>(expected_ - 1))
            peer_.send(tid_, tftp::encode_ack(data->block)); // our ACK was lost or late
    }
    error_ = "no progress";
    return false;
}

const std::string& SteppedDownload::finish() {
    while (step()) {
    }
    return data_;
}

std::string random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
}

void write_file(const std::string& path, const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

namespace {

long status_field(int pid, const std::string& name) {
    std::istringstream in(read_proc_file("/proc/" + std::to_string(pid) + "/status"));
    std::string key;
    while (in >> key) {
        if (key == name) {
            long value = 0;
            in >> value;
            return value;
        }
        in.ignore(4096, '\n');
    }
    return -1;
}

} // namespace

long resident_kib(int pid) {
    return status_field(pid, "VmRSS:");
}

long thread_count(int pid) {
    return status_field(pid, "Threads:");
}

} // namespace netlab::test
