// TFTP transfers: the block source, the windowed sender and receiver (RFC 1350, RFC 7440), RTO per RFC 6298.
#include "tftp_transfer.hpp"

#include "datagram.hpp"
#include "error.hpp"
#include "sockopt.hpp"
#include "sys.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <fmt/format.h>
#include <sys/uio.h>
#include <unistd.h>

namespace netlab::tftp {

namespace {

// Congestion control of the sender's window (see Transfer in the header).
constexpr double initial_window = 4;
constexpr Duration min_gap{20e-6}, max_gap{5e-3};

Clock::duration to_clock(Duration d) {
    return std::chrono::duration_cast<Clock::duration>(d);
}

} // namespace

void wait_readable(std::span<pollfd> fds, Duration budget, Clock::time_point deadline) {
    auto left = [&] {
        auto now = Clock::now();
        return deadline <= now ? std::chrono::nanoseconds(0)
                               : std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now);
    };
    auto spin = std::min(std::chrono::duration_cast<std::chrono::nanoseconds>(budget), left());
    if (sys::poll_spinning(fds, spin) > 0) return;
    sys::poll(fds, std::min<std::chrono::nanoseconds>(left(), std::chrono::seconds(1)));
}

void RtoEstimator::sample(Duration rtt) {
    if (!has_sample_) {
        srtt_ = rtt;
        rttvar_ = rtt / 2;
        has_sample_ = true;
    } else {
        rttvar_ = rttvar_ * 0.75 + Duration(std::abs((srtt_ - rtt).count())) * 0.25;
        srtt_ = srtt_ * 0.875 + rtt * 0.125;
    }
    rto_ = std::clamp(srtt_ + rttvar_ * 4, min_, max_);
}

Duration busy_poll_budget(std::optional<Duration> srtt, Duration limit) {
    return srtt && *srtt < limit ? limit : Duration(0);
}

Counters& Counters::operator+=(const Counters& o) {
    bytes += o.bytes;
    blocks += o.blocks;
    packets_sent += o.packets_sent;
    retransmits += o.retransmits;
    timeouts += o.timeouts;
    duplicates += o.duplicates;
    window_cuts += o.window_cuts;
    malformed += o.malformed;
    unknown_tid += o.unknown_tid;
    dropped += o.dropped;
    duplicated += o.duplicated;
    return *this;
}

std::size_t BlockSource::read(std::uint64_t n, std::span<std::uint8_t> out) {
    std::uint64_t start = (n - 1) * block_;
    std::size_t want = std::min(out.size(), block_);
    if (mode_ == Mode::octet) {
        std::span<std::uint8_t> one[] = {out.first(want)};
        return want == block_ ? read_blocks(n, one) : 0; // a buffer smaller than a block: nothing fits
    }
    while (!eof_ && converted_start_ + converted_.size() < start + want) {
        std::uint8_t raw[65536];
        ssize_t r = ::read(file_.get(), raw, sizeof raw);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw Error("read", name_, errno);
        if (r == 0) eof_ = true;
        raw_read_ += static_cast<std::uint64_t>(r);
        encoder_.feed({raw, static_cast<std::size_t>(r)}, converted_);
    }
    std::uint64_t end = converted_start_ + converted_.size();
    if (start >= end) return 0;
    std::size_t got = static_cast<std::size_t>(std::min<std::uint64_t>(want, end - start));
    std::copy_n(converted_.begin() + static_cast<std::ptrdiff_t>(start - converted_start_), got, out.begin());
    return got;
}

std::size_t BlockSource::read_blocks(std::uint64_t n, std::span<const std::span<std::uint8_t>> outs) {
    if (mode_ != Mode::octet) {
        std::size_t total = 0;
        for (std::size_t i = 0; i < outs.size(); ++i) {
            std::size_t got = read(n + i, outs[i]);
            total += got;
            if (got < block_) break;
        }
        return total;
    }
    const std::uint64_t start = (n - 1) * block_;
    const std::size_t want = outs.size() * block_;
    std::vector<iovec> iov;
    std::size_t got = 0;
    while (got < want) {
        // After a short read, continue in the block and at the byte where it stopped.
        iov.clear();
        for (std::size_t i = got / block_; i < outs.size(); ++i) {
            std::size_t skip = i == got / block_ ? got % block_ : 0;
            iov.push_back({outs[i].data() + skip, block_ - skip});
        }
        ssize_t r =
            ::preadv(file_.get(), iov.data(), static_cast<int>(iov.size()), static_cast<off_t>(start + got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw Error("read", name_, errno);
        if (r == 0) break;
        got += static_cast<std::size_t>(r);
    }
    raw_read_ = std::max(raw_read_, start + got);
    return got;
}

void BlockSource::release(std::uint64_t n) {
    if (mode_ == Mode::octet || n == 0) return;
    std::uint64_t keep_from = (n - 1) * block_;
    if (keep_from <= converted_start_) return;
    std::uint64_t drop = std::min<std::uint64_t>(keep_from - converted_start_, converted_.size());
    converted_.erase(converted_.begin(), converted_.begin() + static_cast<std::ptrdiff_t>(drop));
    converted_start_ += drop;
}

Transfer::Transfer(Fd socket, Setup setup, std::unique_ptr<BlockSource> source, BlockSink sink)
    : socket_(std::move(socket)), role_(setup.role), mode_(setup.mode), settings_(setup.settings),
      timing_(setup.timing), peer_(setup.peer), peer_known_(setup.peer_known), asked_(std::move(setup.asked)),
      max_bytes_(setup.max_bytes), source_(std::move(source)), sink_(std::move(sink)),
      rng_(setup.impairment.seed), impairment_(setup.impairment), rto_(setup.timing),
      control_(std::move(setup.first)),
      // A receiver takes a window of DATA at once; a sender gets one ACK per window, rarely more.
      batch_(setup.role == Role::receiver ? 16 : 4, receive_buffer_size) {}

void Transfer::start(Clock::time_point now) {
    last_heard_ = started_ = now;
    if (timing_.time_limit) give_up_at_ = now + to_clock(*timing_.time_limit);
    if (role_ == Role::sender && control_.empty()) {
        base_ = 1;
        send_window(now, false);
        return;
    }
    send_control(control_, now);
}

void Transfer::send(std::span<const std::span<const std::uint8_t>> packets, const SocketAddress& to) {
    if (impairment_.drop <= 0 && impairment_.dup <= 0) {
        send_to(socket_, packets, to);
        counters_.packets_sent += packets.size();
        return;
    }
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    std::vector<std::span<const std::uint8_t>> out;
    for (auto p : packets) {
        if (coin(rng_) < impairment_.drop) {
            ++counters_.dropped;
            continue;
        }
        out.push_back(p);
        if (coin(rng_) < impairment_.dup) {
            out.push_back(p);
            ++counters_.duplicated;
        }
    }
    if (!out.empty()) send_to(socket_, out, to);
    counters_.packets_sent += out.size();
}

void Transfer::send_control(std::vector<std::uint8_t> packet, Clock::time_point now) {
    control_ = std::move(packet);
    control_is_window_ = false;
    pace_at_ = Clock::time_point::max();
    std::span<const std::uint8_t> one[] = {control_};
    send(one, peer_);
    window_sent_at_ = now;
    retransmitted_ = false;
    if (role_ == Role::receiver) since_ack_ = 0; // the sender restarts its window after what we ACK
    arm(now);
}

void Transfer::send_window(Clock::time_point now, bool retransmission) {
    const std::size_t b = settings_.block_size;
    const std::size_t slot = b + header_size;
    if (window_buffer_.size() != settings_.window_size * slot) {
        source_->set_block_size(b);
        window_buffer_.assign(settings_.window_size * slot, 0);
    }
    std::size_t count = settings_.window_size;
    if (last_block_) count = std::min<std::uint64_t>(count, last_block_ - base_ + 1);
    std::size_t total = 0;
    if (!retransmission && next_base_ == base_ && next_count_ >= count) {
        std::swap(window_buffer_, next_buffer_); // read ahead while the last window was in flight
        total = std::min(next_total_, count * b);
    } else {
        // One read for the whole window: a window of 16 small blocks is one system call, not 16.
        total = source_->read_blocks(base_, payloads(window_buffer_, count));
    }
    next_base_ = 0;
    auto& packets = window_packets_;
    packets.clear();
    for (std::size_t i = 0; i < count; ++i) {
        std::uint64_t n = base_ + i;
        std::size_t got = total > i * b ? std::min(b, total - i * b) : 0;
        std::span<std::uint8_t> p(window_buffer_.data() + i * slot, slot);
        encode_data_header(p, static_cast<std::uint16_t>(n));
        packets.push_back(p.first(header_size + got));
        if (got < b) {
            last_block_ = n;
            break;
        }
    }
    sent_end_ = base_ + packets.size() - 1;
    if (retransmission) counters_.retransmits += packets.size();
    control_is_window_ = true;
    retransmitted_ = retransmission;
    if (cwnd_ == 0) cwnd_ = std::min<double>(initial_window, ssthresh_ = settings_.window_size);
    burst_next_ = 0;
    send_burst(now);
    // Read the next window now, while this one travels and the peer writes it: when its ACK comes,
    // the next window goes out at once. Octet only (netascii counts converted bytes as it reads), and
    // not for windows so large that a second buffer would matter.
    if (mode_ == Mode::octet && !last_block_ && window_buffer_.size() <= (2u << 20)) {
        if (next_buffer_.size() != window_buffer_.size()) next_buffer_.assign(window_buffer_.size(), 0);
        next_count_ = settings_.window_size;
        next_total_ = source_->read_blocks(sent_end_ + 1, payloads(next_buffer_, next_count_));
        next_base_ = sent_end_ + 1;
    }
}

void Transfer::send_burst(Clock::time_point now) {
    std::span<const std::span<const std::uint8_t>> packets = window_packets_;
    std::size_t count = packets.size() - burst_next_;
    if (cwnd_ < settings_.window_size)
        count = std::min(count, std::max<std::size_t>(1, static_cast<std::size_t>(cwnd_)));
    send(packets.subspan(burst_next_, count), peer_);
    burst_next_ += count;
    bool more = burst_next_ < packets.size();
    pace_at_ = more ? now + to_clock(std::max(gap_, min_gap)) : Clock::time_point::max();
    window_sent_at_ = now; // RTT samples run from the last burst
    arm(now);
}

void Transfer::window_acked() {
    // A window resent after a timeout got through at the pace it was resent: keep that pace for the
    // next one rather than grow at once into the same loss (and its RTO, backed off without a sample).
    if (retransmitted_) return;
    const double most = settings_.window_size;
    if (cwnd_ >= most) {
        gap_ = gap_ * 0.75; // unpaced and clean: the memory of a slow receiver fades
        return;
    }
    cwnd_ = cwnd_ < ssthresh_ ? std::min(most, cwnd_ * 2) : std::min(most, cwnd_ + 1);
}

void Transfer::window_lost(bool timed_out) {
    ssthresh_ = std::max(1.0, cwnd_ / 2);
    cwnd_ = timed_out ? 1 : ssthresh_;
    // A timeout costs an RTO, backed off until a window gets through unretransmitted: widen the gap
    // faster then than for a partial ACK, which costs only a round trip.
    gap_ = std::clamp(gap_ * (timed_out ? 4 : 2), min_gap, max_gap);
    ++counters_.window_cuts;
}

std::span<const std::span<std::uint8_t>> Transfer::payloads(std::vector<std::uint8_t>& buffer,
                                                            std::size_t count) {
    const std::size_t b = settings_.block_size, slot = b + header_size;
    window_payloads_.clear();
    for (std::size_t i = 0; i < count; ++i)
        window_payloads_.emplace_back(buffer.data() + i * slot + header_size, b);
    return window_payloads_;
}

void Transfer::fail(std::string why, std::optional<ErrorPacket> tell_peer) {
    if (status_ != Status::running) return;
    status_ = Status::failed;
    error_ = std::move(why);
    deadline_ = pace_at_ = give_up_at_ = Clock::time_point::max();
    if (tell_peer && peer_known_) {
        auto wire = encode(*tell_peer);
        try {
            send_to(socket_, wire, peer_);
        } catch (const Error&) {
            // The transfer has failed already; a lost courtesy ERROR changes nothing.
        }
    }
}

void Transfer::on_readable(Clock::time_point now) {
    for (;;) {
        std::size_t n = batch_.receive(socket_);
        for (std::size_t i = 0; i < n; ++i) {
            if (batch_.length(i) > batch_.data(i).size()) {
                ++counters_.malformed; // larger than any block: truncated
                continue;
            }
            handle(batch_.data(i), batch_.source(i), now);
        }
        // Fewer than a full batch emptied the queue: asking again would only return EAGAIN.
        if (n < batch_.capacity()) return;
    }
}

void Transfer::on_timer(Clock::time_point now) {
    if (status_ != Status::running) return;
    if (now >= give_up_at_) {
        fail(fmt::format("too slow: {} bytes in {:.1f} s, past the limit for this size", counters_.bytes,
                         seconds_between(started_, now)),
             ErrorPacket{ErrorCode::not_defined, "transfer too slow"});
        return;
    }
    if (now >= pace_at_) send_burst(now);
    if (now < deadline_) return;
    if (now - last_heard_ > to_clock(timing_.max_rto * timing_.retries)) {
        fail(fmt::format("timed out: no answer for {:.1f} s", seconds_between(last_heard_, now)),
             ErrorPacket{ErrorCode::not_defined, "timed out"});
        return;
    }
    ++counters_.timeouts;
    rto_.backoff();
    dup_acked_ = gap_acked_ = false;
    if (control_is_window_) {
        window_lost(true);
        send_window(now, true);
    } else {
        std::span<const std::uint8_t> one[] = {control_};
        send(one, peer_);
        ++counters_.retransmits;
        retransmitted_ = true;
        arm(now);
    }
}

void Transfer::handle(std::span<const std::uint8_t> packet, const SocketAddress& from,
                      Clock::time_point now) {
    if (status_ == Status::failed) return;
    bool stranger = peer_known_ ? !(from == peer_) : from.ip() != peer_.ip();
    if (stranger) {
        // RFC 1350: a packet from a wrong TID gets ERROR 5 and the transfer goes on undisturbed. Never
        // an ERROR for an ERROR: a forged source naming another transfer port would bounce them forever.
        ++counters_.unknown_tid;
        bool is_error =
            packet.size() >= 2 && packet[0] == 0 && packet[1] == static_cast<std::uint8_t>(Opcode::error);
        if (!is_error)
            send_to(socket_, encode(ErrorPacket{ErrorCode::unknown_tid, "Unknown transfer ID"}), from);
        return;
    }
    Decoded d = decode(packet);
    if (!d.ok()) {
        ++counters_.malformed;
        return;
    }
    if (!peer_known_) {
        handle_first_reply(d, from, now);
        return;
    }
    // last_heard_ moves only with progress (a new ACK, the next block): a peer that repeats a stale
    // ACK or block would otherwise keep the transfer, and the server's slot, alive forever.
    if (auto* e = std::get_if<ErrorPacket>(&d.packet)) {
        if (status_ == Status::running)
            fail(e->message.empty() ? std::string(error_text(e->code)) : e->message, std::nullopt);
    } else if (auto* a = std::get_if<Ack>(&d.packet); a && role_ == Role::sender) {
        on_ack(a->block, now);
    } else if (auto* data = std::get_if<Data>(&d.packet); data && role_ == Role::receiver) {
        on_data(*data, now);
    } else {
        ++counters_.malformed; // a packet that has no place in this transfer
    }
}

void Transfer::handle_first_reply(const Decoded& d, const SocketAddress& from, Clock::time_point now) {
    if (auto* e = std::get_if<ErrorPacket>(&d.packet)) {
        fail(e->message.empty() ? std::string(error_text(e->code)) : e->message, std::nullopt);
        return;
    }
    peer_ = from;
    peer_known_ = true;
    last_heard_ = now;
    if (!retransmitted_) rto_.sample(now - window_sent_at_);
    if (auto* o = std::get_if<OptionAck>(&d.packet)) {
        OackCheck c = check_oack(asked_, *o);
        if (!c.ok()) {
            fail(c.reason, ErrorPacket{ErrorCode::option_refused, c.reason});
            return;
        }
        settings_ = c.settings;
        if (role_ == Role::receiver) {
            if (settings_.file_size && max_bytes_ && *settings_.file_size > *max_bytes_) {
                fail(fmt::format("the server announced {} bytes (tsize), more than the limit of {}",
                                 *settings_.file_size, *max_bytes_),
                     ErrorPacket{ErrorCode::disk_full, "file larger than the client accepts"});
                return;
            }
            if (settings_.file_size && sink_.expect) {
                try {
                    sink_.expect(*settings_.file_size);
                } catch (const std::exception& e) {
                    fail(e.what(), ErrorPacket{ErrorCode::disk_full, "Disk full or allocation exceeded"});
                    return;
                }
            }
            send_control(encode_ack(0), now);
        } else {
            base_ = 1;
            send_window(now, false);
        }
        return;
    }
    // An RFC 1350 server answers with the data or ACK 0 directly: every option falls back to its default.
    if (auto* data = std::get_if<Data>(&d.packet); data && role_ == Role::receiver) {
        options_ignored_ = !asked_.empty();
        settings_ = Settings{};
        on_data(*data, now);
        return;
    }
    if (auto* a = std::get_if<Ack>(&d.packet); a && role_ == Role::sender && a->block == 0) {
        options_ignored_ = !asked_.empty();
        settings_ = Settings{};
        base_ = 1;
        send_window(now, false);
        return;
    }
    fail("unexpected first reply from the server",
         ErrorPacket{ErrorCode::illegal_operation, "unexpected packet"});
}

void Transfer::on_ack(std::uint16_t block, Clock::time_point now) {
    if (status_ != Status::running) return;
    if (base_ == 0) { // waiting for ACK 0 of our OACK
        if (block != 0) {
            ++counters_.duplicates;
            return;
        }
        if (!retransmitted_) rto_.sample(now - window_sent_at_);
        last_heard_ = now;
        base_ = 1;
        send_window(now, false);
        return;
    }
    std::uint64_t previous = base_ - 1;
    auto ahead = static_cast<std::uint16_t>(block - static_cast<std::uint16_t>(previous));
    if (ahead == 0 || ahead >= 32768) {
        ++counters_.duplicates; // never answered: the timer alone retransmits
        return;
    }
    if (previous + ahead > sent_end_) {
        ++counters_.malformed; // an ACK for a block never sent: ignored, it must not move the window
        return;
    }
    if (!retransmitted_) rto_.sample(now - window_sent_at_);
    last_heard_ = now;
    std::uint64_t acked = previous + ahead;
    counters_.blocks = acked;
    // Octet: the bytes acknowledged (the source has read ahead by a window); netascii: file bytes read.
    counters_.bytes = mode_ == Mode::octet
                          ? std::min<std::uint64_t>(acked * settings_.block_size, source_->file_bytes_read())
                          : source_->file_bytes_read();
    base_ = acked + 1;
    source_->release(base_);
    if (last_block_ && acked >= last_block_) {
        status_ = Status::complete;
        deadline_ = pace_at_ = give_up_at_ = Clock::time_point::max();
        return;
    }
    // All of the window, or part of it: a receiver acknowledges less only when blocks went missing.
    if (acked >= sent_end_ && burst_next_ == window_packets_.size())
        window_acked();
    else
        window_lost(false);
    send_window(now, false);
}

std::string Transfer::excess(std::uint64_t incoming) const {
    std::uint64_t total = counters_.bytes + incoming;
    // RFC 2349 gives a netascii tsize no exact meaning (the size on disk, or on the wire): not held to it.
    if (mode_ == Mode::octet && settings_.file_size && total > *settings_.file_size)
        return fmt::format("more data than the {} bytes announced (tsize)", *settings_.file_size);
    if (max_bytes_ && total > *max_bytes_)
        return fmt::format("more data than the limit of {} bytes", *max_bytes_);
    return {};
}

void Transfer::on_data(const Data& data, Clock::time_point now) {
    auto expected16 = static_cast<std::uint16_t>(expected_);
    if (status_ != Status::running) {
        // Dallying: our last ACK may have been lost, the sender repeats the last block.
        if (data.block == static_cast<std::uint16_t>(expected_ - 1)) {
            std::span<const std::uint8_t> one[] = {control_};
            send(one, peer_);
        }
        return;
    }
    if (data.block == expected16) {
        if (data.payload.size() > settings_.block_size) {
            fail(fmt::format("DATA of {} bytes is larger than blksize {}", data.payload.size(),
                             settings_.block_size),
                 ErrorPacket{ErrorCode::illegal_operation, "block larger than blksize"});
            return;
        }
        // The first block after our ACK answers it: an RTT sample (Karn: not after a repeated ACK), so
        // the receiver's RTO, its re-ACK timer and its dally come back down after a backoff.
        if (since_ack_ == 0 && expected_ > 1 && !retransmitted_ && !dup_acked_ && !gap_acked_)
            rto_.sample(now - window_sent_at_);
        // Octet bytes are file bytes: checked before they are acknowledged or written. Netascii ones
        // are checked after decoding, below.
        if (std::string why = mode_ == Mode::octet ? excess(data.payload.size()) : ""; !why.empty()) {
            fail(why, ErrorPacket{ErrorCode::disk_full, "more data than announced or accepted"});
            return;
        }
        bool last = data.payload.size() < settings_.block_size;
        last_heard_ = now;
        ++expected_;
        ++since_ack_;
        dup_acked_ = gap_acked_ = false;
        // The ACK that ends a window goes out before the blocks are written, so the sender reads and
        // sends the next window while this one goes to the file; a write that fails still ends the
        // transfer with an ERROR. The last ACK waits for finish(): never for a file not committed.
        bool ack_first = !last && since_ack_ >= settings_.window_size;
        if (ack_first) send_control(encode_ack(data.block), now);
        try {
            if (mode_ == Mode::netascii) {
                decoded_.clear();
                decoder_.feed(data.payload, decoded_);
                if (last) decoder_.finish(decoded_);
                if (std::string why = excess(decoded_.size()); !why.empty()) {
                    fail(why, ErrorPacket{ErrorCode::disk_full, "more data than accepted"});
                    return;
                }
                sink_.write(decoded_);
                counters_.bytes += decoded_.size();
            } else {
                sink_.write(data.payload);
                counters_.bytes += data.payload.size();
            }
            if (last && sink_.finish) sink_.finish();
        } catch (const std::exception& e) {
            fail(e.what(), ErrorPacket{ErrorCode::disk_full, e.what()});
            return;
        }
        ++counters_.blocks;
        if (last) {
            send_control(encode_ack(data.block), now);
            status_ = Status::complete;
            give_up_at_ = Clock::time_point::max(); // the dally is not held to the time limit
            // Stay a little to answer a repeated last block; the peer's RTO is about ours.
            auto dally = std::clamp(rto_.rto() * 3, Duration(0.01), timing_.max_rto);
            dally_until_ = now + to_clock(dally);
            deadline_ = dally_until_;
        } else if (!ack_first) {
            arm(now);
        }
        return;
    }
    if (static_cast<std::uint16_t>(expected16 - 1 - data.block) < 32768) {
        ++counters_.duplicates;
        // The sender repeats only after its timeout, so a repeat means our ACK was lost: send it again,
        // once per repeated window (its blocks arrive together), and again for the next repeat, which
        // cannot come sooner than the sender's smallest RTO.
        if (!dup_acked_ || now - window_sent_at_ >= to_clock(timing_.min_rto)) {
            std::span<const std::uint8_t> one[] = {control_};
            send(one, peer_);
            window_sent_at_ = now;
            dup_acked_ = true;
        }
        return;
    }
    // A gap: tell the sender where to restart (RFC 7440), once until the data moves on.
    if (!gap_acked_) {
        send_control(encode_ack(static_cast<std::uint16_t>(expected16 - 1)), now);
        gap_acked_ = true;
    }
}

Fd open_transfer_socket(const SocketAddress& local, const Settings& settings) {
    Fd sock = sys::socket(local.family(), SOCK_DGRAM);
    SocketAddress any = local;
    any.set_port(0);
    sys::bind(sock, any);
    // A whole window in flight must fit, or the kernel drops its tail and every window times out.
    std::size_t window = settings.window_size * (settings.block_size + 64);
    int want =
        static_cast<int>(std::min<std::size_t>(std::max<std::size_t>(2 * window, 256 * 1024), 64u << 20));
    sockopt::receive_buffer(sock, want);
    sockopt::send_buffer(sock, want);
    return sock;
}

} // namespace netlab::tftp
