// epoll(7) behind a small class.
#include "event_loop.hpp"

#include "error.hpp"

#include <cerrno>
#include <string>
#include <sys/eventfd.h>
#include <unistd.h>

namespace netlab {

Epoll::Epoll(std::size_t max_events) : events_(max_events < 1 ? 1 : max_events) {
    int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) throw Error("create", "an epoll instance", errno);
    fd_.reset(fd);
}

namespace {

void control(int epfd, int op, int fd, std::uint32_t events, std::uint64_t tag, const char* what) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    if (::epoll_ctl(epfd, op, fd, &ev) < 0) throw Error(what, "descriptor " + std::to_string(fd), errno);
}

} // namespace

void Epoll::add(int fd, std::uint32_t events, std::uint64_t tag) {
    control(fd_.get(), EPOLL_CTL_ADD, fd, events, tag, "epoll_ctl add");
}

void Epoll::modify(int fd, std::uint32_t events, std::uint64_t tag) {
    control(fd_.get(), EPOLL_CTL_MOD, fd, events, tag, "epoll_ctl modify");
}

void Epoll::remove(int fd) {
    control(fd_.get(), EPOLL_CTL_DEL, fd, 0, 0, "epoll_ctl remove");
}

std::span<const epoll_event> Epoll::wait(int timeout_ms) {
    int n = ::epoll_wait(fd_.get(), events_.data(), static_cast<int>(events_.size()), timeout_ms);
    if (n < 0) {
        // A signal ends the wait early; the caller's loop looks at the clock and waits again.
        if (errno == EINTR) return {};
        throw Error("epoll_wait", "descriptor " + std::to_string(fd_.get()), errno);
    }
    return {events_.data(), static_cast<std::size_t>(n)};
}

Wakeup::Wakeup() {
    int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) throw Error("create", "an eventfd", errno);
    fd_.reset(fd);
}

void Wakeup::notify() noexcept {
    std::uint64_t one = 1;
    // Can only fail with EAGAIN when the counter is near 2^64: the loop is awake then anyway.
    [[maybe_unused]] ssize_t n = ::write(fd_.get(), &one, sizeof one);
}

void Wakeup::drain() noexcept {
    std::uint64_t count;
    [[maybe_unused]] ssize_t n = ::read(fd_.get(), &count, sizeof count);
}

} // namespace netlab
