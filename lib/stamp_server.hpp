// The TCP time-stamp server's engine: each connection gets the current time (RFC 868 Time, RFC 867
// Daytime or the tutorial's "%lld\n") and is closed, under one of three concurrency models.
#pragma once

#include "address.hpp"
#include "fd.hpp"
#include "output.hpp"
#include "time_stamp.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace netlab::stamp {

// epoll: one event loop (or --loops of them) serves every connection inline; fork: a process per
// connection, as in the tutorial; threads: a thread per connection.
enum class Model { epoll, fork, threads };
std::string_view model_name(Model m);

struct ServerConfig {
    Model model = Model::epoll;
    Format format = Format::unix_seconds;
    unsigned max_children = 256; // fork and threads: connections served at once; more wait in the queue
    // epoll: event loops (threads) sharing the listener; 0 = one per CPU, at most 4. One by default: on
    // loopback the clients share the CPUs, and a second loop measured slower (docs/tcp-stamp.md).
    unsigned loops = 1;
    bool log_clients = true; // a line per client in the log
};

enum class Severity { debug, info, warning, error };

struct ServerHooks {
    // Appends the log line for a client to `out` ("client IP PORT"); called from any loop or worker
    // thread, so it must only format.
    std::function<void(std::string& out, const SocketAddress& peer)> client_line;
    // A diagnostic for the operator (out of descriptors, stopping on a signal); from any thread.
    std::function<void(Severity, const std::string&)> report;
};

struct ServerCounters {
    std::uint64_t served = 0;
    std::uint64_t failed = 0;
    std::uint64_t accept_errors = 0;
    std::uint64_t refused = 0; // reset at once while out of descriptors
    double seconds = 0;        // since the server was made
};

class Server {
public:
    // Blocks SIGINT and SIGTERM (and SIGCHLD for fork) into signalfds and opens every descriptor the
    // server keeps, for each loop a duplicate of `listener` (non-blocking, listening): once it returns,
    // the descriptors can be counted. `log` takes the client lines; it may outlive the server, since a
    // worker thread still running at exit holds it.
    Server(Fd listener, const ServerConfig& config, ServerHooks hooks, std::shared_ptr<ServerLog> log);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Serves until SIGINT or SIGTERM, then serves the connections the kernel has already completed,
    // closes the listener and waits up to 10 s for children and threads. Throws what a loop threw.
    void run();
    ServerCounters counters() const;

    unsigned loop_count() const { return static_cast<unsigned>(loops_.size()); }

private:
    struct Shared;
    class Loop;
    std::shared_ptr<Shared> shared_;
    std::vector<std::unique_ptr<Loop>> loops_;
};

} // namespace netlab::stamp
