// A move-only owner of one file descriptor.
#pragma once

#include <utility>

namespace netlab {

// Owns a descriptor and closes it exactly once. No implicit bool: ask valid().
class Fd {
public:
    Fd() noexcept = default;
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }

    int get() const noexcept { return fd_; }
    bool valid() const noexcept { return fd_ >= 0; }
    // Gives up ownership without closing.
    int release() noexcept { return std::exchange(fd_, -1); }
    // Closes the current descriptor (errors from close are ignored: the descriptor is gone either way).
    void reset(int fd = -1) noexcept;

private:
    int fd_ = -1;
};

} // namespace netlab
