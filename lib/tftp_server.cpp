// The TFTP server: requests, limits and negotiation in the caller's thread, a thread per transfer.
#include "tftp_server.hpp"

#include "confine.hpp"
#include "datagram.hpp"
#include "error.hpp"
#include "sys.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <sys/stat.h>
#include <system_error>
#include <thread>

namespace netlab::tftp {

// Once its thread runs, the transfer (and the file it writes) belongs to that thread until `ended`.
// The record is written by the server thread only before the thread starts and after it is joined;
// in between both read it.
struct Server::Active {
    std::unique_ptr<Transfer> transfer;
    TransferRecord record;
    Clock::time_point started;
    std::optional<AtomicFile> file;
    std::thread thread;
    std::atomic<bool> heard{false}; // the client sent to the transfer's port: it had our answer
    std::atomic<bool> ended{false};
    Clock::time_point ended_at; // written by the thread before `ended`
};

Server::Server(Fd listener, Fd root, ServerConfig config, std::function<void(const TransferRecord&)> log)
    : listener_(std::move(listener)), root_(std::move(root)), config_(config), log_(std::move(log)),
      buffer_(receive_buffer_size), cpus_(sys::usable_cpus()) {}

Server::~Server() {
    stopping_.notify();
    for (auto& a : transfers_)
        if (a->thread.joinable()) a->thread.join();
}

void Server::work(Active& a) noexcept {
    Transfer& t = *a.transfer;
    // Ends the transfer after an error outside the protocol; nothing may leave the thread.
    auto abort = [&t](const char* why) {
        try {
            t.abort(why); // e.g. a failed write of an upload: this transfer ends, the others go on
        } catch (...) {
        }
    };
    try {
        for (;;) {
            auto now = Clock::now();
            if (!t.active(now)) break;
            pollfd fds[] = {{t.socket().get(), POLLIN, 0}, {stopping_.fd().get(), POLLIN, 0}};
            bool spare_cpu = threads_running_.load(std::memory_order_relaxed) < cpus_;
            wait_readable(fds, spare_cpu ? t.busy_poll() : Duration(0), t.deadline());
            now = Clock::now();
            if (fds[1].revents & POLLIN) {
                t.abort("server stopped", "server shutting down");
                break;
            }
            if (fds[0].revents & POLLIN) {
                // Said before the datagram leaves the queue, so that the server thread, which looks at
                // the queue first and then at this, never misses it (see unanswered()).
                if (!a.heard.load(std::memory_order_relaxed) && peek_source(t.socket()) == a.record.peer)
                    a.heard.store(true, std::memory_order_seq_cst);
                t.on_readable(now);
            }
            t.on_timer(now);
        }
    } catch (const std::exception& e) {
        abort(e.what());
    } catch (...) {
        abort("unexpected error");
    }
    a.ended_at = Clock::now();
    threads_running_.fetch_sub(1, std::memory_order_relaxed);
    a.ended.store(true, std::memory_order_release);
    transfer_ended_.notify();
}

void Server::reap() {
    for (std::size_t i = 0; i < transfers_.size();) {
        Active& a = *transfers_[i];
        if (a.ended.load(std::memory_order_acquire)) {
            if (a.thread.joinable()) a.thread.join(); // not when its thread could not start
            finish(a);
            transfers_.erase(transfers_.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
            ++i;
        }
    }
}

void Server::stop_all() {
    stopping_.notify();
    for (auto& a : transfers_)
        if (a->thread.joinable()) a->thread.join();
    for (auto& a : transfers_) finish(*a);
    transfers_.clear();
}

void Server::refuse(const SocketAddress& to, ErrorCode code, const std::string& message,
                    TransferRecord record) {
    send_to(listener_, encode(ErrorPacket{code, message}), to);
    record.ok = false;
    record.error = message;
    ++ended_;
    log_(record);
}

void Server::finish(Active& a) {
    a.record.ok = a.transfer->status() == Status::complete;
    a.record.error = a.transfer->error();
    a.record.counters = a.transfer->counters();
    a.record.settings = a.transfer->settings();
    a.record.seconds = seconds_between(a.started, a.ended_at);
    totals_ += a.record.counters;
    ++ended_;
    log_(a.record);
}

std::size_t Server::buffered() const {
    std::size_t bytes = 0;
    for (const auto& a : transfers_) bytes += a->record.settings.window_size * a->record.settings.block_size;
    return bytes;
}

bool Server::unanswered(const Active& a, const SocketAddress& from) {
    if (!(a.record.peer == from)) return false;
    // What the client sent may still wait in the queue, unread by the transfer's thread; that thread
    // sets `heard` before it takes a datagram from the client. In this order neither is missed.
    if (peek_source(a.transfer->socket()) == from) return false;
    return !a.heard.load(std::memory_order_seq_cst);
}

std::size_t Server::transfers_from(const SocketAddress& client) const {
    return static_cast<std::size_t>(std::count_if(transfers_.begin(), transfers_.end(), [&](const auto& a) {
        return a->record.peer.ip() == client.ip();
    }));
}

bool Server::worth_waiting(const SocketAddress& from) const {
    return transfers_.size() >= config_.max_transfers || transfers_from(from) >= config_.max_per_client ||
           buffered() + config_.policy.max_window_bytes > config_.max_buffered;
}

void Server::on_request(Clock::time_point now) {
    const auto wait_until = now + std::chrono::milliseconds(2);
    // A bounded batch per wake-up: the stop signal is seen between batches of a flood.
    for (int batch = 0; batch < 64; ++batch) {
        auto r = receive_from(listener_, buffer_);
        if (!r) return;
        reap(); // transfers that ended since the last request no longer count
        Decoded d;
        const Request* req = read_request(*r, d);
        if (!req) continue;
        wait_for_ending(r->from, wait_until);
        if (is_repeat(r->from)) {
            ++totals_.duplicates;
            continue;
        }
        start(*req, r->from, now);
    }
}

const Request* Server::read_request(const Received& r, Decoded& d) {
    if (r.truncated()) {
        ++totals_.malformed;
        send_to(listener_, encode(ErrorPacket{ErrorCode::illegal_operation, "request too long"}), r.from);
        return nullptr;
    }
    d = decode({buffer_.data(), r.length});
    auto* req = d.ok() ? std::get_if<Request>(&d.packet) : nullptr;
    if (!req) {
        ++totals_.malformed;
        // Never answer an ERROR with an ERROR: two confused peers would bounce them forever.
        bool is_error = r.length >= 2 && buffer_[0] == 0 && buffer_[1] == 5;
        if (!is_error)
            send_to(
                listener_,
                encode(ErrorPacket{ErrorCode::illegal_operation, d.ok() ? "expected RRQ or WRQ" : d.reason}),
                r.from);
    }
    return req;
}

void Server::wait_for_ending(const SocketAddress& from, Clock::time_point until) {
    // A transfer whose last packet came just before this request may still be ending on its thread.
    // Before a limit refuses or lowers anything, it gets a moment to end: 2 ms per batch, so a flood
    // at a limit costs at most that per batch.
    while (worth_waiting(from) && Clock::now() < until) {
        pollfd ended{transfer_ended_.fd().get(), POLLIN, 0};
        if (sys::poll({&ended, 1}, 1) > 0) transfer_ended_.drain();
        reap();
    }
}

bool Server::is_repeat(const SocketAddress& from) const {
    // A client repeating its request because our first answer was lost: the transfer is under way.
    // Once the client has sent something to the transfer's port, it had our answer: a request from the
    // same port is then a new one, even while that transfer's thread is still ending it.
    return std::any_of(transfers_.begin(), transfers_.end(),
                       [&](const auto& a) { return unanswered(*a, from); });
}

void Server::start(const Request& req, const SocketAddress& from, Clock::time_point now) {
    TransferRecord record;
    record.peer = from;
    record.opcode = req.opcode;
    record.filename = req.filename;
    record.mode = req.mode;
    auto deny = [&](const Denial& d) {
        if (!d.note.empty()) record.notes.push_back(d.note);
        refuse(from, d.code, d.message, record);
    };
    Plan plan;
    if (std::optional<Denial> d = check_limits(from, plan.policy)) return deny(*d);
    // An unfinished upload's hidden name is never served nor written to: as far as a client can tell,
    // it does not exist.
    if (std::string_view name = req.filename; is_temporary_name(name.substr(name.rfind('/') + 1))) {
        std::string note(refusal_text(Refusal::temporary));
        if (req.opcode == Opcode::rrq) return deny({ErrorCode::file_not_found, "File not found", note});
        return deny({ErrorCode::access_violation, fmt::format("Access violation: {}", note), note});
    }
    auto active = std::make_unique<Active>();
    std::optional<Denial> denied =
        req.opcode == Opcode::rrq ? plan_read(req, plan) : plan_write(req, plan, *active);
    if (denied) {
        // The temporary goes before the answer: a client that has its ERROR must find nothing left.
        active->file.reset();
        return deny(*denied);
    }
    if (plan.n.refused()) {
        active->file.reset();
        return deny({ErrorCode::option_refused, plan.n.refusal, ""});
    }
    record.notes = plan.n.notes;
    record.settings = plan.n.settings;
    Transfer::Setup& setup = plan.setup;
    setup.mode = req.mode;
    setup.settings = plan.n.settings;
    setup.timing = config_.timing;
    if (plan.n.settings.timeout) setup.timing.max_rto = Duration(*plan.n.settings.timeout);
    if (plan.size && config_.min_rate > 0)
        setup.timing.time_limit = setup.timing.max_rto * setup.timing.retries +
                                  Duration(static_cast<double>(*plan.size) / config_.min_rate);
    setup.impairment = config_.impairment;
    setup.impairment.seed += ended_ + transfers_.size();
    setup.peer = from;
    Fd sock;
    try {
        sock = open_transfer_socket(sys::local_address(listener_), plan.n.settings);
    } catch (const Error&) { // out of descriptors or ports: this request is refused, the server goes on
        active->file.reset();
        return deny({ErrorCode::not_defined, "server error", ""});
    }
    active->transfer =
        std::make_unique<Transfer>(std::move(sock), std::move(setup), std::move(plan.source), plan.sink);
    active->record = std::move(record);
    active->started = now;
    active->transfer->start(now);
    launch(std::move(active));
}

std::optional<Server::Denial> Server::check_limits(const SocketAddress& from, ServerPolicy& policy) const {
    if (transfers_.size() >= config_.max_transfers)
        return Denial{ErrorCode::not_defined,
                      fmt::format("server busy: {} transfers running", transfers_.size()), ""};
    std::size_t from_client = transfers_from(from);
    if (from_client >= config_.max_per_client)
        return Denial{ErrorCode::not_defined,
                      fmt::format("server busy: {} transfers from {}", from_client, from.ip()), ""};
    std::size_t buffered = this->buffered();
    std::size_t budget = buffered < config_.max_buffered ? config_.max_buffered - buffered : 0;
    if (budget < default_block_size)
        return Denial{ErrorCode::not_defined, fmt::format("server busy: {} bytes buffered", buffered), ""};
    // What is left of the buffer budget bounds the window this transfer may negotiate.
    policy = config_.policy;
    policy.max_window_bytes = std::min(policy.max_window_bytes, budget);
    policy.max_block_size = std::min(policy.max_block_size, budget);
    return std::nullopt;
}

std::optional<Server::Denial> Server::plan_read(const Request& req, Plan& plan) {
    ConfinedFile f = open_beneath(root_, req.filename);
    if (!f.ok()) {
        std::string note(refusal_text(f.refusal));
        if (f.refusal == Refusal::not_found) return Denial{ErrorCode::file_not_found, "File not found", note};
        return Denial{ErrorCode::access_violation, fmt::format("Access violation: {}", note), note};
    }
    Refusal why = f.links > 1 && !config_.allow_hard_links             ? Refusal::hard_link
                  : config_.world_readable_only && !(f.mode & S_IROTH) ? Refusal::not_world_readable
                                                                       : Refusal::none;
    if (why != Refusal::none) {
        std::string note(refusal_text(why));
        return Denial{ErrorCode::access_violation, fmt::format("Access violation: {}", note), note};
    }
    plan.n = negotiate(req, req.mode == Mode::octet ? std::optional(f.size) : std::nullopt, plan.policy);
    plan.size = f.size;
    plan.source =
        std::make_unique<BlockSource>(std::move(f.fd), req.mode, plan.n.settings.block_size, req.filename);
    plan.setup.role = Transfer::Role::sender;
    if (!plan.n.oack.empty()) plan.setup.first = encode(OptionAck{plan.n.oack});
    return std::nullopt;
}

std::optional<Server::Denial> Server::plan_write(const Request& req, Plan& plan, Active& active) {
    if (!config_.allow_write)
        return Denial{ErrorCode::access_violation, "Access violation: writes are not allowed", ""};
    std::string name;
    ConfinedFile dir = open_parent_beneath(root_, req.filename, &name);
    if (!dir.ok())
        return Denial{dir.refusal == Refusal::not_found ? ErrorCode::file_not_found
                                                        : ErrorCode::access_violation,
                      fmt::format("Access violation: {}", refusal_text(dir.refusal)), ""};
    Refusal why = Refusal::none;
    int err = 0;
    if (auto created = AtomicFile::create(dir.fd, name, config_.overwrite, &why, &err))
        active.file.emplace(std::move(*created));
    if (!active.file) {
        if (why == Refusal::exists) return Denial{ErrorCode::file_exists, "File already exists", ""};
        return Denial{ErrorCode::access_violation, fmt::format("Access violation: {}", refusal_text(why)),
                      ""};
    }
    plan.n = negotiate(req, std::nullopt, plan.policy);
    plan.size = plan.n.settings.file_size;
    // An announced size over the limit or the free space is refused before any data. The space is not
    // reserved: one packet must not claim the disk.
    if (auto size = plan.n.settings.file_size; size && !plan.n.refused()) {
        std::optional<std::uint64_t> free = free_space(dir.fd);
        if (config_.max_upload && *size > *config_.max_upload)
            return Denial{
                ErrorCode::disk_full,
                fmt::format("upload of {} bytes is larger than the limit of {}", *size, *config_.max_upload),
                ""};
        if (free && *size > *free)
            return Denial{ErrorCode::disk_full,
                          fmt::format("Disk full or allocation exceeded: upload of {} bytes", *size),
                          fmt::format("{} bytes free", *free)}; // the note is for the log, not the client
    }
    plan.setup.max_bytes = config_.max_upload;
    AtomicFile* file = &*active.file;
    file->set_durable(config_.fsync_uploads);
    plan.sink.write = [file](std::span<const std::uint8_t> b) { file->write(b.data(), b.size()); };
    plan.sink.finish = [file] { file->commit(); };
    plan.setup.role = Transfer::Role::receiver;
    plan.setup.first = plan.n.oack.empty() ? encode_ack(0) : encode(OptionAck{plan.n.oack});
    return std::nullopt;
}

void Server::launch(std::unique_ptr<Active> active) {
    Active* a = active.get();
    transfers_.push_back(std::move(active));
    threads_running_.fetch_add(1, std::memory_order_relaxed);
    try {
        a->thread = std::thread([this, a] { work(*a); });
    } catch (const std::system_error& e) { // EAGAIN: the process's or the system's thread limit
        threads_running_.fetch_sub(1, std::memory_order_relaxed);
        a->transfer->abort(fmt::format("thread: {}", e.what()), "server busy");
        a->ended_at = Clock::now();
        a->ended.store(true, std::memory_order_release);
    }
}

void Server::run(const Fd* stop, std::uint64_t max_requests) {
    stopping_.drain(); // from an earlier run's stop: its transfers are all gone
    for (;;) {
        pollfd fds[] = {{listener_.get(), POLLIN, 0},
                        {stop ? stop->get() : -1, POLLIN, 0},
                        {transfer_ended_.fd().get(), POLLIN, 0}};
        sys::poll(fds, 1000);
        if (fds[1].revents & POLLIN) {
            stop_all();
            return;
        }
        // Ended transfers first: a client's next request must not count them against its limits.
        if (fds[2].revents & POLLIN) transfer_ended_.drain();
        reap();
        if (fds[0].revents & POLLIN) {
            try {
                on_request(Clock::now());
            } catch (const Error&) {
                ++totals_.malformed; // e.g. the reply to a request could not be sent: that request is lost
            }
            reap(); // a transfer whose thread could not start
        }
        if (max_requests && ended_ >= max_requests && transfers_.empty()) return;
    }
}

} // namespace netlab::tftp
