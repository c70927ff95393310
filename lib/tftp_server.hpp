// The TFTP server (RFC 1350 with the options of RFC 2347-2349 and 7440): requests on one socket, each
// transfer on a socket and a thread of its own, within limits of transfers, clients and buffered bytes.
#pragma once

#include "address.hpp"
#include "clock.hpp"
#include "datagram.hpp"
#include "event_loop.hpp"
#include "fd.hpp"
#include "tftp.hpp"
#include "tftp_transfer.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace netlab::tftp {

// One line per transfer, for the server's log.
struct TransferRecord {
    SocketAddress peer;
    Opcode opcode = Opcode::rrq;
    std::string filename;
    Mode mode = Mode::octet;
    Settings settings;
    bool ok = false;
    std::string error; // the ERROR sent or received, or the refusal
    std::vector<std::string> notes;
    Counters counters;
    double seconds = 0;
};

struct ServerConfig {
    ServerPolicy policy;
    Timing timing;
    Impairment impairment;
    bool allow_write = false;
    bool overwrite = false;
    // A hard link inside the root to a file outside is indistinguishable from the file by its path, so
    // files with more than one name are refused unless this is set.
    bool allow_hard_links = false;
    std::size_t max_transfers = 64;
    std::size_t max_per_client = 16; // transfers at once from one IP address
    // Window bytes (windowsize x blksize) of all transfers together; a new transfer gets a smaller
    // window, then smaller blocks, and is refused when not even one 512-byte block fits.
    std::size_t max_buffered = 64u << 20;
    // The slowest rate accepted, in bytes a second, for a transfer whose size is known (the file of
    // an RRQ, the tsize of a WRQ): it must end within retries x max_rto + size / min_rate. 0: no limit.
    double min_rate = 1024;
    // The largest upload accepted: a WRQ announcing more (tsize) is refused, a longer stream is cut
    // (ERROR 3 both). None: the free space is the limit.
    std::optional<std::uint64_t> max_upload;
    bool fsync_uploads = true; // AtomicFile::set_durable
    // Serve only files that everyone may read (S_IROTH), as tftpd-hpa does: for a server started as
    // root, whose root directory may hold files that only root should read.
    bool world_readable_only = false;
};

// The server: requests on one socket in the calling thread; each transfer on its own socket and its
// own thread, like atftpd's (tftpd-hpa forks instead). A new thread is placed on an idle CPU, away
// from a local client that is busy; one poll(2) loop for every transfer is woken on the client's CPU
// by each of its packets, and there the two take turns on one core. The calling thread alone
// negotiates, keeps the limits and calls log, so log need not be thread-safe.
class Server {
public:
    Server(Fd listener, Fd root, ServerConfig config, std::function<void(const TransferRecord&)> log);
    // Stops the transfers still running (the peers get an ERROR) and waits for their threads.
    ~Server();
    // Runs until a signal arrives on stop (a signalfd) or, when max_requests > 0, that many transfers
    // ended. On stop, the transfers still running are ended with an ERROR and logged.
    void run(const Fd* stop, std::uint64_t max_requests = 0);
    const Counters& totals() const { return totals_; }
    std::size_t running() const { return transfers_.size(); }

private:
    struct Active;
    // Why a request gets an ERROR instead of a transfer; `note`, when set, goes to the log only.
    struct Denial {
        ErrorCode code;
        std::string message;
        std::string note;
    };
    // A transfer being prepared from a request, filled in step by step.
    struct Plan {
        ServerPolicy policy; // the server's, within what is left of the buffer budget
        Negotiation n;
        Transfer::Setup setup;
        std::unique_ptr<BlockSource> source; // an RRQ's file
        BlockSink sink;                      // a WRQ's file
        std::optional<std::uint64_t> size;   // the file's size, or the size a WRQ announced (tsize)
    };
    // Takes the requests waiting on the listener, a bounded batch, and starts or refuses each.
    void on_request(Clock::time_point now);
    // The request in a datagram; nullptr after answering one that is not an RRQ or a WRQ.
    const Request* read_request(const Received& r, Decoded& d);
    void wait_for_ending(const SocketAddress& from, Clock::time_point until);
    bool is_repeat(const SocketAddress& from) const; // a transfer from there has not been answered
    void start(const Request& req, const SocketAddress& from, Clock::time_point now);
    std::optional<Denial> check_limits(const SocketAddress& from, ServerPolicy& policy) const;
    std::optional<Denial> plan_read(const Request& req, Plan& plan);
    std::optional<Denial> plan_write(const Request& req, Plan& plan, Active& active);
    void launch(std::unique_ptr<Active> active); // on a thread of its own
    void refuse(const SocketAddress& to, ErrorCode code, const std::string& message, TransferRecord record);
    std::size_t buffered() const;                                  // window bytes of the transfers running
    std::size_t transfers_from(const SocketAddress& client) const; // running, from client's IP address
    // Whether a request from `from` meets a limit, which a transfer that is ending may still hold: it
    // counts until its thread has seen its end, and the request waits up to 2 ms for that (on a
    // loaded machine a limit may still refuse it).
    bool worth_waiting(const SocketAddress& from) const;
    // Whether a is from `from` and has not heard from it yet: a request from there is then a repeat.
    static bool unanswered(const Active& a, const SocketAddress& from);
    void work(Active& a) noexcept; // a transfer's thread
    void reap();                   // joins the threads of ended transfers and logs them
    void stop_all();
    void finish(Active& a);

    Fd listener_;
    Fd root_;
    ServerConfig config_;
    std::function<void(const TransferRecord&)> log_;
    std::vector<std::unique_ptr<Active>> transfers_;
    Counters totals_;
    std::uint64_t ended_ = 0;
    std::vector<std::uint8_t> buffer_;
    Wakeup transfer_ended_; // a transfer's thread is done
    Wakeup stopping_;       // never drained: readable for every transfer's thread once notified
    std::atomic<std::size_t> threads_running_{0}; // busy polling pays only with a CPU to spare
    unsigned cpus_;
};

} // namespace netlab::tftp
