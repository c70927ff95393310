// Buffered output to a descriptor.
#include "output.hpp"

#include "sys.hpp"

#include <algorithm>
#include <csignal>
#include <unistd.h>

namespace netlab {

OutputBuffer::OutputBuffer(int fd, const char* what, std::size_t capacity)
    : fd_(fd), what_(what), capacity_(capacity), terminal_(::isatty(fd) == 1) {
    text_.reserve(capacity + 1024);
}

OutputBuffer::OutputBuffer(ServerLog& log, std::size_t capacity)
    : fd_(log.fd()), what_(log.what()), capacity_(capacity), terminal_(::isatty(log.fd()) == 1), log_(&log) {
    text_.reserve(capacity + 1024);
}

void OutputBuffer::flush() {
    if (text_.empty()) return;
    std::string pending;
    pending.swap(text_);
    text_.reserve(capacity_ + 1024);
    if (log_)
        log_->write(pending);
    else
        sys::write_all(fd_, pending.data(), pending.size(), what_);
}

bool ServerLog::write(std::string_view text) noexcept {
    auto lines = [&] { return static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n')); };
    if (failed_.load(std::memory_order_acquire)) {
        lost_lines_.fetch_add(lines(), std::memory_order_relaxed);
        return false;
    }
    try {
        sys::write_all(fd_, text.data(), text.size(), what_);
        return true;
    } catch (const Error& e) {
        // A short write before the error leaves part of a line behind; it counts as lost.
        lost_lines_.fetch_add(std::max<std::uint64_t>(lines(), 1), std::memory_order_relaxed);
        if (!failed_.exchange(true, std::memory_order_acq_rel) && on_first_loss_) {
            try {
                on_first_loss_(e);
            } catch (...) {
                // The report is best effort: its own failure must not end the server either.
            }
        }
        return false;
    }
}

void ignore_sigpipe() {
    std::signal(SIGPIPE, SIG_IGN);
}

bool SnapshotWriter::write(const std::string& line) {
    // A pipe is writable while it has a free page; lines up to PIPE_BUF then go in whole without
    // blocking. O_NONBLOCK is not set instead, because the descriptor is shared with the shell.
    pollfd p{log_.fd(), POLLOUT, 0};
    if (sys::poll({&p, 1}, 0) == 0 || !(p.revents & (POLLOUT | POLLERR))) {
        ++dropped_;
        return false;
    }
    return log_.write(line);
}

} // namespace netlab
