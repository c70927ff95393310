// Buffered output to a descriptor: one write(2) per many records, and write errors never ignored.
#pragma once

#include "error.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace netlab {

class ServerLog;

class OutputBuffer {
public:
    explicit OutputBuffer(int fd, const char* what = "stdout", std::size_t capacity = 1 << 16);
    // Flushes through a server's log instead: a failed write drops the text and never throws.
    OutputBuffer(ServerLog& log, std::size_t capacity);
    ~OutputBuffer() = default; // unflushed text is dropped: callers flush, so errors can be reported

    // Text is appended here directly; call flush_if_full() after each record.
    std::string& text() { return text_; }
    void flush_if_full() {
        if (text_.size() >= capacity_) flush();
    }
    // Writes everything buffered; throws Error{"write", what, errno} (ENOSPC, EPIPE with SIGPIPE ignored),
    // or with a ServerLog hands the text to it.
    void flush();
    bool empty() const { return text_.empty(); }
    bool is_terminal() const { return terminal_; }

private:
    int fd_;
    const char* what_;
    std::size_t capacity_;
    bool terminal_;
    ServerLog* log_ = nullptr;
    std::string text_;
};

// A server's log on a descriptor (its stdout) that may stop taking text: the reader of a pipe went
// away (EPIPE; the caller ignores SIGPIPE, see ignore_sigpipe), a disk filled up (ENOSPC), EIO. A
// log line is not worth a dropped client, so a failed write is counted and never thrown: serving
// goes on. The first failure is handed to `on_first_loss` once (the command prints it as its one
// error line); from then on lines are counted as lost without a write being tried, since output
// that continued after a gap would mislead the reader. Safe to share between threads.
class ServerLog {
public:
    explicit ServerLog(int fd, const char* what = "stdout") : fd_(fd), what_(what) {}
    ServerLog(const ServerLog&) = delete;
    ServerLog& operator=(const ServerLog&) = delete;

    // Called from whichever thread saw the first failure; set it before any write.
    void on_first_loss(std::function<void(const Error&)> callback) { on_first_loss_ = std::move(callback); }
    // Writes `text` (whole lines) in one piece; false when it was lost.
    bool write(std::string_view text) noexcept;
    bool lost() const noexcept { return lost_lines_.load(std::memory_order_relaxed) > 0 || failed_; }
    // Lines (newlines) that were not written, the one whose write failed included.
    std::uint64_t lost_lines() const noexcept { return lost_lines_.load(std::memory_order_relaxed); }
    const char* what() const noexcept { return what_; }
    int fd() const noexcept { return fd_; }

private:
    int fd_;
    const char* what_;
    std::atomic<bool> failed_{false};
    std::atomic<std::uint64_t> lost_lines_{0};
    std::function<void(const Error&)> on_first_loss_;
};

// SIGPIPE would end the process at the first write to a pipe nobody reads: servers ignore it and see
// EPIPE instead. Children started through ChildProcess get the default back.
void ignore_sigpipe();

// Status snapshots (a line each, the newest is the one that matters) to a descriptor that may be a
// pipe nobody reads: a snapshot that would block is dropped and counted, never waited for, so a
// server's control loop cannot stall on its own status output.
// Real write errors (EPIPE, ENOSPC) are the log's: counted there as lost, never thrown.
class SnapshotWriter {
public:
    explicit SnapshotWriter(ServerLog& log) : log_(log) {}

    // Writes the line when the descriptor can take it now; returns false when it was dropped or lost.
    bool write(const std::string& line);
    // Lines skipped because the reader was slow (not those lost to an error).
    std::uint64_t dropped() const { return dropped_; }

private:
    ServerLog& log_;
    std::uint64_t dropped_ = 0;
};

} // namespace netlab
