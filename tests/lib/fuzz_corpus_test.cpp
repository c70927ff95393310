// Replays the fuzz seed corpus (tests/fuzz/corpus/<target>/*, findings included) through every decoder
// with the fuzz targets' property checks, so each build -- the sanitizer build too -- re-checks them.
#include "checks.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <vector>

namespace fs = std::filesystem;
namespace fuzz = netlab::fuzz;

namespace {

const fs::path corpus_root = NETLAB_FUZZ_CORPUS;

std::vector<std::uint8_t> read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

TEST_CASE("every fuzz target has a seed corpus and every corpus a target", "[fuzz]") {
    std::set<std::string> dirs;
    for (const auto& entry : fs::directory_iterator(corpus_root)) dirs.insert(entry.path().filename());
    for (const auto& t : fuzz::targets()) {
        INFO(t.name);
        CHECK(dirs.count(std::string(t.name)) == 1);
        CHECK(!fs::is_empty(corpus_root / t.name));
    }
    for (const auto& d : dirs) {
        INFO(d);
        CHECK(fuzz::find_target(d) != nullptr);
    }
}

TEST_CASE("the fuzz corpus replays through every decoder without a broken property", "[fuzz]") {
    std::size_t inputs = 0;
    for (const auto& t : fuzz::targets()) {
        for (const auto& entry : fs::directory_iterator(corpus_root / t.name)) {
            // An exact-size heap copy, as libFuzzer gives, so ASan sees any read past the end.
            std::vector<std::uint8_t> bytes = read_file(entry.path());
            INFO(entry.path().string());
            CHECK_NOTHROW(t.check(bytes));
            ++inputs;
        }
    }
    CHECK(inputs >= fuzz::targets().size());
}
