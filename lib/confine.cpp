// Confined opens (openat2(2) RESOLVE_BENEATH, or an O_NOFOLLOW walk) and files renamed into place.
#include "confine.hpp"

#include "error.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <limits>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

namespace netlab {

namespace {

// Never block on a FIFO or take a terminal: O_NONBLOCK and O_NOCTTY; the type is checked after fstat.
constexpr int read_flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
constexpr int dir_flags = O_RDONLY | O_CLOEXEC | O_DIRECTORY;

Refusal refusal_of(int err) {
    switch (err) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
        return Refusal::not_found;
    case EXDEV:
    case ELOOP:
        return Refusal::outside_root; // RESOLVE_BENEATH escapes, magic links, O_NOFOLLOW links
    case EACCES:
    case EPERM:
        return Refusal::denied;
    case ENXIO:
    case ENODEV:
        return Refusal::not_regular; // sockets and devices without a driver
    case EISDIR:
        return Refusal::is_directory;
    default:
        return Refusal::other;
    }
}

ConfinedFile refused(Refusal r, int err = 0) {
    ConfinedFile f;
    f.refusal = r;
    f.error = err;
    return f;
}

std::vector<std::string_view> components(std::string_view path) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        if (end > start) parts.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

int retry_openat(int dir, const std::string& name, int flags, mode_t mode = 0) {
    int fd;
    do fd = ::openat(dir, name.c_str(), flags, mode);
    while (fd < 0 && errno == EINTR);
    return fd;
}

// openat2 with RESOLVE_BENEATH; -1 with errno ENOSYS on kernels before 5.6.
int openat2_beneath(const Fd& root, std::string_view path, int flags) {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    std::string p(path);
    long fd;
    do fd = ::syscall(SYS_openat2, root.get(), p.c_str(), &how, sizeof how);
    while (fd < 0 && errno == EINTR);
    return static_cast<int>(fd);
}

int walk_open(const Fd& root, std::string_view path, int final_flags) {
    auto parts = components(path);
    if (parts.empty()) {
        errno = ENOENT;
        return -1;
    }
    Fd dir;
    int at = root.get();
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        int next = retry_openat(at, std::string(parts[i]), dir_flags | O_NOFOLLOW);
        if (next < 0) return -1;
        dir.reset(next);
        at = dir.get();
    }
    return retry_openat(at, std::string(parts.back()), final_flags | O_NOFOLLOW);
}

ConfinedFile finish(int fd, bool want_directory) {
    if (fd < 0) return refused(refusal_of(errno), errno);
    ConfinedFile f;
    f.fd = Fd(fd);
    struct stat st;
    if (::fstat(fd, &st) < 0) return refused(Refusal::other, errno);
    if (want_directory) return f;
    if (S_ISDIR(st.st_mode)) return refused(Refusal::is_directory);
    if (!S_ISREG(st.st_mode)) return refused(Refusal::not_regular);
    f.size = static_cast<std::uint64_t>(st.st_size);
    f.links = static_cast<std::uint64_t>(st.st_nlink);
    f.mode = st.st_mode;
    return f;
}

ConfinedFile open_checked(const Fd& root, std::string_view path, int flags, bool want_directory) {
    if (Refusal r = check_relative_path(path); r != Refusal::none) return refused(r);
    int fd = openat2_beneath(root, path, flags);
    if (fd < 0 && errno == ENOSYS) fd = walk_open(root, path, flags);
    return finish(fd, want_directory);
}

} // namespace

std::string_view refusal_text(Refusal r) {
    switch (r) {
    case Refusal::none:
        return "ok";
    case Refusal::not_found:
        return "no such file";
    case Refusal::outside_root:
        return "outside the root";
    case Refusal::not_regular:
        return "not a regular file";
    case Refusal::is_directory:
        return "is a directory";
    case Refusal::denied:
        return "permission denied";
    case Refusal::exists:
        return "file exists";
    case Refusal::other:
        return "cannot open";
    case Refusal::hard_link:
        return "hard link (the file has other names)";
    case Refusal::temporary:
        return "the temporary name of an unfinished transfer";
    case Refusal::not_world_readable:
        return "not world-readable";
    }
    return "cannot open";
}

Refusal check_relative_path(std::string_view path) {
    if (path.empty()) return Refusal::not_found;
    // open(2) ends the name at a NUL, so "..\0x" would pass the checks below and then open "..".
    if (path.find('\0') != std::string_view::npos) return Refusal::not_found;
    if (path.front() == '/') return Refusal::outside_root;
    for (auto part : components(path))
        if (part == "..") return Refusal::outside_root;
    return Refusal::none;
}

ConfinedFile open_beneath(const Fd& root, std::string_view path) {
    return open_checked(root, path, read_flags, false);
}

ConfinedFile open_beneath_walk(const Fd& root, std::string_view path) {
    if (Refusal r = check_relative_path(path); r != Refusal::none) return refused(r);
    return finish(walk_open(root, path, read_flags), false);
}

ConfinedFile open_parent_beneath(const Fd& root, std::string_view path, std::string* name) {
    if (Refusal r = check_relative_path(path); r != Refusal::none) return refused(r);
    auto parts = components(path);
    if (parts.empty() || parts.back() == ".") return refused(Refusal::is_directory);
    *name = std::string(parts.back());
    auto slash = path.rfind('/');
    if (slash == std::string_view::npos) {
        int fd = ::fcntl(root.get(), F_DUPFD_CLOEXEC, 0);
        return finish(fd, true);
    }
    return open_checked(root, path.substr(0, slash), dir_flags, true);
}

ConfinedFile open_regular(const std::string& path) {
    int fd;
    do fd = ::open(path.c_str(), read_flags);
    while (fd < 0 && errno == EINTR);
    return finish(fd, false);
}

Fd open_directory(const std::string& path) {
    int fd = ::open(path.c_str(), dir_flags);
    if (fd < 0) throw Error("open", path, errno);
    return Fd(fd);
}

std::optional<AtomicFile> AtomicFile::create(const Fd& dir, const std::string& name, bool overwrite,
                                             Refusal* refusal, int* error) {
    *error = 0;
    struct stat st;
    if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!overwrite) {
            *refusal = Refusal::exists;
            return std::nullopt;
        }
        if (!S_ISREG(st.st_mode)) {
            *refusal = S_ISDIR(st.st_mode) ? Refusal::is_directory : Refusal::not_regular;
            return std::nullopt;
        }
    }
    int dup = ::fcntl(dir.get(), F_DUPFD_CLOEXEC, 0);
    if (dup < 0) throw Error("duplicate", "the descriptor of the directory of " + name, errno);
    Fd own(dup);
    static std::atomic<unsigned> counter{0};
    // A hidden name that keeps the real one visible to a person listing the directory.
    std::string base = "." + name.substr(0, 200) + ".part-";
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::string temp = base + std::to_string(::getpid()) + "-" + std::to_string(counter++);
        int fd = retry_openat(dir.get(), temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd >= 0) return AtomicFile(std::move(own), name, std::move(temp), Fd(fd), overwrite);
        if (errno != EEXIST) {
            *refusal = refusal_of(errno);
            *error = errno;
            return std::nullopt;
        }
    }
    *refusal = Refusal::other;
    *error = EEXIST;
    return std::nullopt;
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : dir_(std::move(other.dir_)), name_(std::move(other.name_)), temp_(std::move(other.temp_)),
      fd_(std::move(other.fd_)), overwrite_(other.overwrite_),
      committed_(std::exchange(other.committed_, true)), durable_(other.durable_),
      pending_(std::move(other.pending_)), written_(other.written_), reserved_(other.reserved_),
      failed_(other.failed_) {}

AtomicFile::~AtomicFile() {
    if (!committed_ && dir_.valid()) ::unlinkat(dir_.get(), temp_.c_str(), 0);
}

std::optional<std::uint64_t> free_space(const Fd& on) {
    struct statvfs fs {};
    if (::fstatvfs(on.get(), &fs) != 0 || fs.f_frsize == 0) return std::nullopt;
    std::uint64_t blocks = fs.f_bavail;
    if (blocks > std::numeric_limits<std::uint64_t>::max() / fs.f_frsize) return std::nullopt;
    return blocks * fs.f_frsize;
}

namespace {

bool all_digits(std::string_view s) {
    return !s.empty() && s.size() <= 10 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The PID in ".NAME.part-PID-N" (is_temporary_name holds).
long creator_of(std::string_view temporary) {
    std::string_view rest = temporary.substr(temporary.rfind(".part-") + 6);
    return std::stol(std::string(rest.substr(0, rest.find('-'))));
}

bool creator_gone(std::string_view temporary) {
    long pid = creator_of(temporary);
    return pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) < 0 && errno == ESRCH);
}

void remove_stale_beneath(int dir, int depth, std::size_t& removed) {
    // A directory tree deeper than this is not one a TFTP server's uploads made.
    if (depth > 32) return;
    int own = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (own < 0) return;
    DIR* d = ::fdopendir(own);
    if (!d) {
        ::close(own);
        return;
    }
    while (const dirent* e = ::readdir(d)) {
        std::string_view name = e->d_name;
        if (name == "." || name == "..") continue;
        struct stat st;
        if (::fstatat(own, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            int sub = ::openat(own, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) continue;
            remove_stale_beneath(sub, depth + 1, removed);
            ::close(sub);
        } else if (S_ISREG(st.st_mode) && is_temporary_name(name) && creator_gone(name) &&
                   ::unlinkat(own, e->d_name, 0) == 0) {
            ++removed;
        }
    }
    ::closedir(d);
}

} // namespace

bool is_temporary_name(std::string_view name) {
    auto at = name.rfind(".part-");
    // "." + a name of at least one character + ".part-" + PID + "-" + counter
    if (name.empty() || name[0] != '.' || at == std::string_view::npos || at < 2) return false;
    std::string_view rest = name.substr(at + 6);
    auto dash = rest.find('-');
    return dash != std::string_view::npos && all_digits(rest.substr(0, dash)) &&
           all_digits(rest.substr(dash + 1));
}

std::size_t remove_stale_temporaries(const Fd& root) {
    std::size_t removed = 0;
    remove_stale_beneath(root.get(), 0, removed);
    return removed;
}

void AtomicFile::reserve(std::uint64_t size) {
    if (size == 0) return;
    std::string what = fmt::format("{} bytes for {}", size, name_);
    if (size > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max()))
        throw Error("reserve", what, EFBIG);
    // More than the free space is refused before fallocate tries, which would first fill the disk.
    if (auto free = free_space(fd_); free && size > *free) throw Error("reserve", what, ENOSPC);
    reserved_ = size; // even a failed fallocate may have grown the file: commit() trims either way
    if (::fallocate(fd_.get(), 0, 0, static_cast<off_t>(size)) == 0) return;
    if (errno == ENOSPC || errno == EDQUOT) throw Error("reserve", what, errno);
    // EOPNOTSUPP (no preallocation here), EFBIG, EINTR...: the writes decide.
}

void AtomicFile::write_through(const std::uint8_t* p, std::size_t size) {
    while (size > 0) {
        ssize_t n = ::pwrite(fd_.get(), p, size, static_cast<off_t>(written_));
        if (n < 0) {
            if (errno == EINTR) continue;
            failed_ = errno; // what was gathered is gone: no later write or commit may pretend otherwise
            pending_.clear();
            throw Error("write", name_, errno);
        }
        p += n;
        size -= static_cast<std::size_t>(n);
        written_ += static_cast<std::uint64_t>(n);
    }
}

void AtomicFile::write(const void* data, std::size_t size) {
    if (failed_) throw Error("write", name_, failed_);
    const auto* p = static_cast<const std::uint8_t*>(data);
    while (size > 0) {
        if (pending_.empty() && size >= chunk) { // whole chunks go straight from the caller's buffer
            std::size_t whole = size - size % chunk;
            write_through(p, whole);
            p += whole;
            size -= whole;
            continue;
        }
        std::size_t take = std::min(size, chunk - pending_.size());
        // Grown as needed up to one chunk: a small upload does not hold 256 KiB.
        if (pending_.capacity() < pending_.size() + take)
            pending_.reserve(std::min(chunk, std::max(2 * pending_.capacity(), pending_.size() + take)));
        pending_.insert(pending_.end(), p, p + take);
        p += take;
        size -= take;
        if (pending_.size() == chunk) {
            write_through(pending_.data(), pending_.size());
            pending_.clear();
        }
    }
}

void AtomicFile::commit() {
    if (failed_) throw Error("write", name_, failed_);
    write_through(pending_.data(), pending_.size());
    pending_.clear();
    // A file shorter than announced must not keep the reservation's zeros as its tail.
    if (reserved_ && ::ftruncate(fd_.get(), static_cast<off_t>(written_)) < 0)
        throw Error("truncate", name_, errno);
    // The data first, then the name that publishes it: a crash between the two leaves a temporary
    // (removed at the next start), never a complete-looking file with a hole.
    if (durable_ && ::fsync(fd_.get()) < 0) throw Error("fsync", name_, errno);
    int rc = overwrite_ ? ::renameat(dir_.get(), temp_.c_str(), dir_.get(), name_.c_str())
                        : ::renameat2(dir_.get(), temp_.c_str(), dir_.get(), name_.c_str(), RENAME_NOREPLACE);
    if (rc < 0 && !overwrite_ && errno == EINVAL) {
        // File systems without RENAME_NOREPLACE: link(2) refuses an existing name just the same.
        rc = ::linkat(dir_.get(), temp_.c_str(), dir_.get(), name_.c_str(), 0);
        if (rc == 0) ::unlinkat(dir_.get(), temp_.c_str(), 0);
    }
    if (rc < 0) throw Error("rename", name_, errno);
    committed_ = true;
    fd_.reset();
    // The new name itself lives in the directory. A file system that cannot sync a directory (EINVAL)
    // is no error; anything else is, though the file is in place by now.
    if (durable_ && ::fsync(dir_.get()) < 0 && errno != EINVAL)
        throw Error("fsync", "the directory of " + name_, errno);
}

} // namespace netlab
