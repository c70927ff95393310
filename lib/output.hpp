// Buffered output to a descriptor: one write(2) per many records, and write errors never ignored.
#pragma once

#include <cstdint>
#include <string>

namespace netlab {

class OutputBuffer {
public:
    explicit OutputBuffer(int fd, const char* what = "stdout", std::size_t capacity = 1 << 16);
    ~OutputBuffer() = default; // unflushed text is dropped: callers flush, so errors can be reported

    // Text is appended here directly; call flush_if_full() after each record.
    std::string& text() { return text_; }
    void flush_if_full() {
        if (text_.size() >= capacity_) flush();
    }
    // Writes everything buffered; throws Error{"write", what, errno} (ENOSPC, EPIPE with SIGPIPE ignored).
    void flush();
    bool empty() const { return text_.empty(); }
    bool is_terminal() const { return terminal_; }

private:
    int fd_;
    const char* what_;
    std::size_t capacity_;
    bool terminal_;
    std::string text_;
};

// Status snapshots (a line each, the newest is the one that matters) to a descriptor that may be a
// pipe nobody reads: a snapshot that would block is dropped and counted, never waited for, so a
// server's control loop cannot stall on its own status output.
class SnapshotWriter {
public:
    explicit SnapshotWriter(int fd, const char* what = "stdout") : fd_(fd), what_(what) {}

    // Writes the line when the descriptor can take it now; returns false when it was dropped.
    // Throws Error on real write errors (EPIPE, ENOSPC).
    bool write(const std::string& line);
    std::uint64_t dropped() const { return dropped_; }

private:
    int fd_;
    const char* what_;
    std::uint64_t dropped_ = 0;
};

} // namespace netlab
