// Tests of lib/confine: opens beneath a root refuse every way out, and files appear only when committed.
#include "confine.hpp"
#include "process.hpp"

#include "netlab_test.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

using namespace netlab;
namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& p, const std::string& content) {
    std::ofstream(p, std::ios::binary) << content;
}

std::string read_fd(const Fd& fd) {
    std::string s;
    char buf[256];
    ssize_t n;
    while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
    return s;
}

struct Tree {
    test::TempDir top;
    fs::path root;
    Tree() : root(fs::path(top.path()) / "root") {
        fs::create_directories(root / "sub");
        write_file(root / "a.txt", "hello");
        write_file(root / "sub" / "b.txt", "inner");
        write_file(fs::path(top.path()) / "secret", "outside");
        fs::create_symlink("sub/b.txt", root / "inside-link");
        fs::create_symlink("../secret", root / "escape-link");
        fs::create_symlink(fs::path(top.path()) / "secret", root / "absolute-link");
        fs::create_symlink("/dev/zero", root / "zero");
        fs::create_symlink("/proc/self/root/etc/passwd", root / "magic");
        ::mkfifo((root / "fifo").c_str(), 0644);
    }
};

} // namespace

TEST_CASE("paths are checked before any system call", "[confine]") {
    CHECK(check_relative_path("a.txt") == Refusal::none);
    CHECK(check_relative_path("sub/./b.txt") == Refusal::none);
    CHECK(check_relative_path("..") == Refusal::outside_root);
    CHECK(check_relative_path("sub/../../x") == Refusal::outside_root);
    CHECK(check_relative_path("/etc/passwd") == Refusal::outside_root);
    CHECK(check_relative_path("") == Refusal::not_found);
    CHECK(check_relative_path("..foo") == Refusal::none); // a name, not the parent
    // open(2) would read "..\0x" as "..": no name with a NUL passes (the tftp_path fuzz property).
    CHECK(check_relative_path(std::string_view("..\0x", 4)) == Refusal::not_found);
    CHECK(check_relative_path(std::string_view("a\0", 2)) == Refusal::not_found);
}

TEST_CASE("open_beneath reads files inside and refuses every way out", "[confine]") {
    Tree t;
    Fd root = open_directory(t.root.string());
    for (auto open : {open_beneath, open_beneath_walk}) {
        auto a = open(root, "a.txt");
        REQUIRE(a.ok());
        CHECK(a.size == 5);
        CHECK(read_fd(a.fd) == "hello");
        CHECK(open(root, "sub/b.txt").ok());
        CHECK(open(root, "missing").refusal == Refusal::not_found);
        CHECK(open(root, "a.txt/x").refusal == Refusal::not_found);
        CHECK(open(root, "../secret").refusal == Refusal::outside_root);
        CHECK(open(root, t.root.string() + "/a.txt").refusal == Refusal::outside_root);
        CHECK(open(root, "escape-link").refusal == Refusal::outside_root);
        CHECK(open(root, "absolute-link").refusal == Refusal::outside_root);
        CHECK(open(root, "zero").refusal == Refusal::outside_root);
        CHECK(open(root, "magic").refusal == Refusal::outside_root);
        CHECK(open(root, "sub").refusal == Refusal::is_directory);
        CHECK(open(root, ".").refusal == Refusal::is_directory);
        CHECK(open(root, "fifo").refusal == Refusal::not_regular); // and the open did not block
    }
    // A symlink that stays inside is followed by openat2, refused by the O_NOFOLLOW walk.
    auto inside = open_beneath(root, "inside-link");
    REQUIRE(inside.ok());
    CHECK(read_fd(inside.fd) == "inner");
    CHECK(open_beneath_walk(root, "inside-link").refusal == Refusal::outside_root);
}

TEST_CASE("a device node inside the root is refused", "[confine]") {
    if (!test::running_as_root()) NETLAB_SKIP("needs root: mknod");
    Tree t;
    REQUIRE(::mknod((t.root / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
    Fd root = open_directory(t.root.string());
    CHECK(open_beneath(root, "null").refusal == Refusal::not_regular);
}

TEST_CASE("open_parent_beneath finds the directory of a new file", "[confine]") {
    Tree t;
    Fd root = open_directory(t.root.string());
    std::string name;
    auto top = open_parent_beneath(root, "new.bin", &name);
    REQUIRE(top.ok());
    CHECK(name == "new.bin");
    auto sub = open_parent_beneath(root, "sub/new.bin", &name);
    REQUIRE(sub.ok());
    CHECK(name == "new.bin");
    CHECK(open_parent_beneath(root, "nodir/new.bin", &name).refusal == Refusal::not_found);
    CHECK(open_parent_beneath(root, "../new.bin", &name).refusal == Refusal::outside_root);
}

TEST_CASE("an AtomicFile gathers writes into whole chunks and keeps every byte in order", "[confine]") {
    Tree t;
    Fd root = open_directory(t.root.string());
    Refusal r = Refusal::none;
    int err = 0;
    auto f = AtomicFile::create(root, "gathered.bin", false, &r, &err);
    REQUIRE(f);
    // Pieces of every size: small blocks, a block straddling a chunk, and more than a chunk at once.
    std::string expected;
    std::uint32_t x = 12345;
    for (std::size_t size : {512u, 1468u, 65464u, 7u, 300000u, 1u, 262144u, 65464u, 0u, 1000u}) {
        for (int k = 0; k < 5; ++k) {
            std::string piece(size, '\0');
            for (char& c : piece) c = static_cast<char>((x = x * 1103515245u + 12345u) >> 24);
            f->write(piece.data(), piece.size());
            expected += piece;
            // Only whole chunks have reached the file so far.
            auto on_disk = fs::file_size(t.root / f->temporary_name());
            CHECK(on_disk % (256 * 1024) == 0);
            CHECK(on_disk <= expected.size());
            CHECK(expected.size() - on_disk < 256 * 1024);
        }
    }
    f->commit();
    std::ifstream in(t.root / "gathered.bin", std::ios::binary);
    std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(got.size() == expected.size());
    CHECK(got == expected);
}

TEST_CASE("a reservation larger than the data is trimmed when the file is committed", "[confine]") {
    Tree t;
    Fd root = open_directory(t.root.string());
    Refusal r = Refusal::none;
    int err = 0;
    auto f = AtomicFile::create(root, "short.bin", false, &r, &err);
    REQUIRE(f);
    f->reserve(4 << 20); // the server announced 4 MiB, then sent 1000 bytes
    f->write(std::string(1000, 'a').data(), 1000);
    f->commit();
    CHECK(fs::file_size(t.root / "short.bin") == 1000);

    // More than the disk has: refused at once, nothing allocated, and the file can still be dropped.
    auto huge = AtomicFile::create(root, "huge.bin", false, &r, &err);
    REQUIRE(huge);
    struct statvfs fs {};
    REQUIRE(::statvfs(t.root.c_str(), &fs) == 0);
    std::uint64_t too_much = (static_cast<std::uint64_t>(fs.f_bavail) + 1024) * fs.f_frsize * 2;
    CHECK_THROWS_WITH(huge->reserve(too_much), Catch::Contains("No space left on device"));
    CHECK(fs::file_size(t.root / huge->temporary_name()) == 0);
    // Past what a file offset can hold (a hostile tsize of 2^64 - 1): refused too, not skipped.
    CHECK_THROWS_WITH(huge->reserve(std::numeric_limits<std::uint64_t>::max()),
                      Catch::Contains("18446744073709551615 bytes for huge.bin: File too large"));

    auto big = AtomicFile::create(root, "exact.bin", false, &r, &err);
    REQUIRE(big);
    big->reserve(300000);
    std::string data(300000, 'b');
    big->write(data.data(), data.size());
    big->commit();
    CHECK(fs::file_size(t.root / "exact.bin") == 300000);
}

TEST_CASE("an AtomicFile appears only when committed and never overwrites unless asked", "[confine]") {
    Tree t;
    Fd root = open_directory(t.root.string());
    Refusal r = Refusal::none;
    int err = 0;
    {
        auto f = AtomicFile::create(root, "up.bin", false, &r, &err);
        REQUIRE(f);
        f->write("data", 4);
        CHECK_FALSE(fs::exists(t.root / "up.bin"));
        CHECK(fs::exists(t.root / f->temporary_name()));
    }
    // Dropped without commit: nothing left, not even the temporary.
    CHECK_FALSE(fs::exists(t.root / "up.bin"));
    CHECK(std::distance(fs::directory_iterator(t.root), fs::directory_iterator()) == 8);

    auto f = AtomicFile::create(root, "up.bin", false, &r, &err);
    REQUIRE(f);
    f->write("data", 4);
    f->commit();
    CHECK(fs::file_size(t.root / "up.bin") == 4);

    CHECK_FALSE(AtomicFile::create(root, "up.bin", false, &r, &err));
    CHECK(r == Refusal::exists);
    CHECK_FALSE(AtomicFile::create(root, "sub", true, &r, &err));
    CHECK(r == Refusal::is_directory);
    auto again = AtomicFile::create(root, "up.bin", true, &r, &err);
    REQUIRE(again);
    again->write("xy", 2);
    again->commit();
    CHECK(fs::file_size(t.root / "up.bin") == 2);
}

TEST_CASE("temporary names are told from ordinary ones, and only those of dead creators are removed",
          "[confine]") {
    CHECK(is_temporary_name(".f.part-12-0"));
    CHECK(is_temporary_name(".a.b.part-1-4294967295"));
    for (const char* ordinary : {"f.part-12-0", ".part-1-2", ".f.part-12-", ".f.part--1", ".f.part-x-1",
                                 ".f.part-12345678901-1", ".f.part-1-2-3", "", "."})
        CHECK_FALSE(is_temporary_name(ordinary));

    Tree t;
    Fd root = open_directory(t.root.string());
    Refusal r = Refusal::none;
    int err = 0;
    auto mine = AtomicFile::create(root, "mine", false, &r, &err);
    REQUIRE(mine);
    CHECK(is_temporary_name(mine->temporary_name()));
    ChildProcess gone = ChildProcess::spawn({"true"});
    REQUIRE(gone.wait(std::chrono::seconds(5)) == 0);
    std::string dead = std::to_string(gone.pid());
    write_file(t.root / (".x.part-" + dead + "-0"), "left by a killed server");
    write_file(t.root / "sub" / (".y.part-" + dead + "-1"), "deeper");
    fs::create_directories(t.root / (".d.part-" + dead + "-3")); // a directory is never removed
    fs::create_symlink(t.top.path(), t.root / "loop");           // nor followed
    write_file(fs::path(t.top.path()) / (".z.part-" + dead + "-2"), "outside the root");
    CHECK(remove_stale_temporaries(root) == 2);
    CHECK_FALSE(fs::exists(t.root / (".x.part-" + dead + "-0")));
    CHECK_FALSE(fs::exists(t.root / "sub" / (".y.part-" + dead + "-1")));
    CHECK(fs::exists(t.root / mine->temporary_name())); // this process runs
    CHECK(fs::exists(fs::path(t.top.path()) / (".z.part-" + dead + "-2")));
    CHECK(fs::exists(t.root / "a.txt"));
    CHECK(fs::is_directory(t.root / (".d.part-" + dead + "-3")));
    CHECK(remove_stale_temporaries(root) == 0);
    auto free = free_space(root);
    REQUIRE(free);
    CHECK(*free > 0);
}
