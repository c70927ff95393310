// Files opened only beneath a root directory (openat2(2) with RESOLVE_BENEATH, else an O_NOFOLLOW walk),
// and files that appear under their name only when complete (a temporary file renamed, rename(2)).
#pragma once

#include "fd.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netlab {

// Why a confined open failed. not_found and the rest map to TFTP errors 1 and 2.
enum class Refusal {
    none,
    not_found,
    outside_root,
    not_regular,
    is_directory,
    denied,
    exists,
    other,
    hard_link,
    temporary,         // the hidden name of an AtomicFile not yet committed
    not_world_readable // a server started as root serves only what everyone may read
};
std::string_view refusal_text(Refusal r);

struct ConfinedFile {
    Fd fd;
    std::uint64_t size = 0;
    std::uint64_t links = 1; // st_nlink: more than 1 means the file has names elsewhere too
    std::uint32_t mode = 0;  // st_mode
    Refusal refusal = Refusal::none;
    int error = 0; // errno behind the refusal, 0 when it was our own check
    bool ok() const { return refusal == Refusal::none; }
};

// Checks a relative path before any system call: not empty, no NUL, no absolute path, no "..".
// Returns the refusal or Refusal::none.
Refusal check_relative_path(std::string_view path);

// Opens path (relative, checked as above) for reading beneath the directory `root`: symlinks may be
// followed only while they stay inside, magic links (/proc/self/fd/N) never; directories, devices,
// FIFOs and sockets are refused (the open itself never blocks on a FIFO). Uses openat2 and falls back to
// open_beneath_walk when the kernel lacks it.
ConfinedFile open_beneath(const Fd& root, std::string_view path);
// The fallback: one component at a time with O_NOFOLLOW, so it refuses every symlink.
ConfinedFile open_beneath_walk(const Fd& root, std::string_view path);
// Opens the directory that will hold path's last component, beneath root; sets *name to that component.
ConfinedFile open_parent_beneath(const Fd& root, std::string_view path, std::string* name);

// Opens a file the user named (anywhere) for reading, refusing what is not a regular file like open_beneath.
ConfinedFile open_regular(const std::string& path);

// Opens a directory given by the user (the root itself); throws Error.
Fd open_directory(const std::string& path);

// Bytes free for an unprivileged writer on the file system holding `on` (statvfs f_bavail); none when
// the file system cannot say.
std::optional<std::uint64_t> free_space(const Fd& on);

// Whether `name` (one path component) has the form of an AtomicFile's temporary, ".NAME.part-PID-N".
bool is_temporary_name(std::string_view name);
// Removes the temporaries beneath `root` (every directory, no symlink followed) whose creating process
// no longer runs: what a server or client left when it was killed. A temporary of a live process, or
// one this process may not remove, stays. Returns how many were removed.
std::size_t remove_stale_temporaries(const Fd& root);

// A file written under a temporary name in `dir` and renamed to `name` by commit(); the destructor
// removes it unless committed, so a failed transfer leaves nothing behind. The name carries the
// creator's PID, so that remove_stale_temporaries can tell a leftover from a transfer under way.
class AtomicFile {
public:
    // nullopt with *refusal set when name exists and !overwrite, or the temporary cannot be created.
    static std::optional<AtomicFile> create(const Fd& dir, const std::string& name, bool overwrite,
                                            Refusal* refusal, int* error);
    AtomicFile(AtomicFile&& other) noexcept;
    AtomicFile& operator=(AtomicFile&&) = delete;
    ~AtomicFile();

    const Fd& fd() const { return fd_; }
    // Reserves `size` bytes on disk (fallocate) when the final size is announced: the disk-full error
    // comes now rather than after most of the data, and the writes that follow are faster. Throws
    // Error("reserve", name, ENOSPC or EDQUOT); a file system that cannot preallocate is no error.
    void reserve(std::uint64_t size);
    // Appends; the bytes are gathered and reach the file in whole chunks at chunk-aligned offsets
    // (ext4 here: 64 MiB in 65464-byte writes 27 ms, in 256 KiB ones 16 ms, preallocated 11 ms).
    // Throws Error("write", name, errno) (ENOSPC), from this call or from commit().
    void write(const void* data, std::size_t size);
    // Writes what is gathered, trims a reservation the data fell short of, fsyncs the file, renames it
    // into place and fsyncs the directory: once commit() returns (and the last ACK or the summary goes
    // out), the file survives a power loss. With !overwrite fails (Error, EEXIST) if the name appeared
    // meanwhile.
    void commit();
    const std::string& temporary_name() const { return temp_; }
    // Without the fsyncs in commit(): for scratch files and benchmarks, where a power loss may take
    // the file (64 MiB on ext4 here: 35 ms of fsync, about a third of a loopback download).
    void set_durable(bool durable) { durable_ = durable; }

private:
    AtomicFile(Fd dir, std::string name, std::string temp, Fd fd, bool overwrite)
        : dir_(std::move(dir)), name_(std::move(name)), temp_(std::move(temp)), fd_(std::move(fd)),
          overwrite_(overwrite) {}
    Fd dir_; // a duplicate of the caller's descriptor, so the caller may close its own
    std::string name_, temp_;
    void write_through(const std::uint8_t* data, std::size_t size);

    static constexpr std::size_t chunk = 256 * 1024;
    Fd fd_;
    bool overwrite_;
    bool committed_ = false;
    bool durable_ = true;
    std::vector<std::uint8_t> pending_; // less than a chunk, grown as needed
    std::uint64_t written_ = 0, reserved_ = 0;
    int failed_ = 0; // the errno of a failed write: the file is incomplete from then on
};

} // namespace netlab
