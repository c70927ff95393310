// Integration tests of udp-send and udp-recv: the real binary on loopback, ephemeral ports.
#include "json_reader.hpp"
#include "netlab_test.hpp"
#include "netns_lab.hpp"

#include "json.hpp"
#include "score_record.hpp"
#include "sys.hpp"
#include "udp.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <csignal>
#include <cstring>
#include <fstream>
#include <thread>
#include <unistd.h>

using namespace netlab::test;
using netlab::ChildProcess;

namespace {

std::string localhost(std::uint16_t port) {
    return "127.0.0.1:" + std::to_string(port);
}

// Sends raw bytes to a port, as a hostile or foreign sender would.
void send_raw(std::uint16_t port, const std::vector<std::uint8_t>& bytes) {
    netlab::Fd fd = netlab::sys::socket(AF_INET, SOCK_DGRAM);
    netlab::sys::connect(fd, netlab::SocketAddress::loopback(netlab::Family::v4, port));
    netlab::SendBatch batch(1, std::max<std::size_t>(bytes.size(), 1));
    if (!bytes.empty())
        std::memcpy(batch.slot(0).data(), bytes.data(), bytes.size()); // memcpy(_, NULL, 0) is UB
    batch.set_length(0, bytes.size());
    batch.send(fd, 1);
}

} // namespace

TEST_CASE("udp-send and udp-recv talk as the tutorial's programs do",
          "[udp][integration][udp-recv][udp-send]") {
    ChildProcess recv = start_netlab({"udp-recv", "--port", "0", "--count", "1", "--timeout", "5"});
    std::uint16_t port = wait_for_listening_port(recv);
    RunResult send =
        run_netlab({"udp-send", localhost(port), "--name", "Mike", "--math", "83", "--chinese", "86"});
    CHECK(send.status == 0);
    CHECK(send.out == "OK\n");
    std::string out = recv.read_all_stdout(5s);
    CHECK(recv.wait(5s) == 0);
    // Line 1: "IP PORT" of the sender; line 2: "name math chinese".
    auto nl = out.find('\n');
    REQUIRE(nl != std::string::npos);
    CHECK(out.substr(0, 10) == "127.0.0.1 ");
    CHECK(out.substr(nl + 1) == "Mike 83 86\n");
}

TEST_CASE("udp-send's default record is Mike with scores 0-99", "[udp][integration][udp-recv][udp-send]") {
    ChildProcess recv = start_netlab({"udp-recv", "--port", "0", "--count", "1", "--timeout", "5", "--json"});
    std::uint16_t port = wait_for_listening_port(recv);
    CHECK(run_netlab({"udp-send", "--port", std::to_string(port)}).out == "OK\n");
    auto line = recv.read_stdout_line(5s);
    REQUIRE(line);
    CHECK_THAT(*line, Catch::Contains("\"type\":\"record\",\"ip\":\"127.0.0.1\""));
    CHECK_THAT(*line, Catch::Contains("\"name\":\"Mike\""));
    CHECK(recv.wait(5s) == 0);
}

TEST_CASE("udp-recv reads the tutorial client's exact datagram", "[udp][integration][udp-recv]") {
    ChildProcess recv = start_netlab({"udp-recv", "--port", "0", "--count", "1", "--timeout", "5"});
    std::uint16_t port = wait_for_listening_port(recv);
    send_raw(port, {0, 0, 0, 83, 0, 0, 0, 86, 'M', 'i', 'k', 'e', 0});
    std::string out = recv.read_all_stdout(5s);
    CHECK(out.substr(out.find('\n') + 1) == "Mike 83 86\n");
    CHECK(recv.wait(5s) == 0);
}

TEST_CASE("udp-recv counts, logs and survives every malformed datagram", "[udp][integration][udp-recv]") {
    ChildProcess recv =
        start_netlab({"udp-recv", "--port", "0", "--count", "2", "--timeout", "5", "--stats"});
    std::uint16_t port = wait_for_listening_port(recv);
    send_raw(port, {});                                             // empty
    send_raw(port, {0, 0, 0, 1, 0, 0, 0, 2});                       // header only
    send_raw(port, {0, 0, 0, 1, 0, 0, 0, 2, 'a', 'b'});             // no NUL
    send_raw(port, {0, 0, 0, 1, 0, 0, 0, 2, 'a', 0, 'x'});          // trailing bytes
    send_raw(port, std::vector<std::uint8_t>(505, 'a'));            // too long
    send_raw(port, std::vector<std::uint8_t>(65507, 0));            // the largest UDP datagram
    send_raw(port, netlab::score::encode({"\x1b[2Jevil\n", 1, 2})); // terminal escapes in the name
    send_raw(port, netlab::score::encode({"good", 3, 4}));
    std::string out = recv.read_all_stdout(5s);
    std::string err = recv.read_all_stderr(2s);
    CHECK(recv.wait(5s) == 0);
    CHECK_THAT(out, Catch::Contains("\\x1b[2Jevil\\x0a 1 2\n"));
    CHECK(out.find('\x1b') == std::string::npos);
    CHECK_THAT(out, Catch::Contains("good 3 4\n"));
    CHECK_THAT(err, Catch::Contains("malformed datagram from 127.0.0.1:"));
    CHECK_THAT(err, Catch::Contains(": empty datagram"));
    CHECK_THAT(err, Catch::Contains(": too short: 8 bytes"));
    CHECK_THAT(err, Catch::Contains(": name is not NUL-terminated"));
    CHECK_THAT(err, Catch::Contains(": non-zero bytes after the name's NUL"));
    CHECK_THAT(err, Catch::Contains(": too long: 505 bytes"));
    CHECK_THAT(err, Catch::Contains(": too long: 65507 bytes"));
    CHECK_THAT(err, Catch::Contains("received 2 records, 6 malformed"));
}

TEST_CASE("a flood of garbage is logged at a bounded rate", "[udp][integration][udp-recv]") {
    ChildProcess recv = start_netlab({"udp-recv", "--port", "0", "--timeout", "1", "--stats", "--json"});
    std::uint16_t port = wait_for_listening_port(recv);
    for (int i = 0; i < 500; ++i) send_raw(port, {1, 2, 3});
    std::string out = recv.read_all_stdout(5s);
    std::string err = recv.read_all_stderr(2s);
    CHECK(recv.wait(5s) == 0);
    auto lines = std::count(err.begin(), err.end(), '\n');
    CHECK(lines <= 12);
    CHECK_THAT(out, Catch::Contains("\"malformed\":"));
    CHECK_THAT(out, Catch::Contains("\"received\":0"));
}

TEST_CASE("udp-recv --count with --timeout fails when records are missing", "[udp][integration][udp-recv]") {
    RunResult recv = run_netlab({"udp-recv", "--port", "0", "--count", "3", "--timeout", "0.2"});
    CHECK(recv.status == 1);
    CHECK_THAT(
        recv.err,
        Catch::Contains("netlab udp-recv: receive 3 records: timed out after 0.2 s idle with 0 received"));
    RunResult idle = run_netlab({"udp-recv", "--port", "0", "--timeout", "0.2"});
    CHECK(idle.status == 0); // without --count, going idle is the normal end
}

TEST_CASE("udp-recv stops cleanly on SIGINT and prints its stats", "[udp][integration][udp-recv][udp-send]") {
    ChildProcess recv = start_netlab({"udp-recv", "--port", "0", "--stats"});
    std::uint16_t port = wait_for_listening_port(recv);
    run_netlab({"udp-send", localhost(port), "--count", "5"});
    for (int i = 0; i < 5; ++i) REQUIRE(recv.read_stdout_line(5s)); // all five printed: now interrupt
    recv.send_signal(SIGINT);
    CHECK(recv.wait(5s) == 0);
    CHECK_THAT(recv.read_all_stderr(2s), Catch::Contains("received 5 records, 0 malformed"));
}

TEST_CASE("udp-recv handles SIGTERM from the moment it says it listens", "[udp][integration][udp-recv]") {
    // The announcement comes after the handlers (score_receiver.cpp, shared with bcast and mcast recv):
    // a signal sent on that line must end the receiver cleanly, never kill it, as it now and then did
    // when the line came first.
    for (int round = 0; round < 10; ++round) {
        ChildProcess recv = start_netlab({"udp-recv", "--port", "0"});
        wait_for_listening_port(recv);
        recv.send_signal(SIGTERM);
        INFO("round " << round);
        CHECK(recv.wait(5s) == 0);
    }
}

TEST_CASE("a port in use is a one-line error naming the address", "[udp][integration][udp-recv]") {
    ChildProcess first = start_netlab({"udp-recv", "--bind", "127.0.0.1", "--port", "0", "--timeout", "5"});
    std::uint16_t port = wait_for_listening_port(first);
    RunResult second = run_netlab({"udp-recv", "--bind", "127.0.0.1", "--port", std::to_string(port)});
    CHECK(second.status == 1);
    CHECK(second.err == "netlab udp-recv: bind " + localhost(port) + ": Address already in use\n");
}

TEST_CASE("a paced flood is counted, and arrives complete into a buffer that holds it",
          "[udp][integration][udp-recv][udp-send]") {
    // Whether 100,000 records a second arrive without loss depends on the machine's load: that is a
    // figure for bench/udp.sh. Here the receiver's buffer holds the whole flood (as root,
    // SO_RCVBUFFORCE passes rmem_max), so nothing may be lost however late the receiver runs; without
    // root the buffer is capped, and every record must still be counted as received or lost.
    ChildProcess recv = start_netlab({"udp-recv", "--port", "0", "--count", "20000", "--timeout", "2", "-q",
                                      "--stats", "--json", "--expect", "20000", "--rcvbuf", "67108864"});
    std::uint16_t port = wait_for_listening_port(recv);
    RunResult flood =
        run_netlab({"udp-send", localhost(port), "--count", "20000", "--rate", "100000", "--json"});
    CHECK(flood.status == 0);
    CHECK_THAT(flood.out, Catch::Contains("\"sent\":20000"));
    std::string out = recv.read_all_stdout(10s);
    auto status = recv.wait(5s);
    INFO(out);
    auto number_after = [&](const std::string& key) {
        return std::stol(out.substr(out.find(key) + key.size()));
    };
    long received = number_after("\"received\":"), lost = number_after("\"lost\":");
    CHECK(received + lost == 20000);
    CHECK(number_after("\"malformed\":") == 0);
    CHECK(out.find("\"type\":\"record\"") == std::string::npos); // -q: records counted, not printed
    if (running_as_root()) {
        CHECK(lost == 0);
        CHECK(status == 0);
    } else {
        CHECK(status == (lost == 0 ? 0 : 1)); // --count unmet before --timeout is exit 1
    }
}

TEST_CASE("udp-send --rate paces the sender", "[udp][integration][udp-send]") {
    auto start = std::chrono::steady_clock::now();
    RunResult paced = run_netlab({"udp-send", "--port", "9", "--count", "50", "--rate", "200"});
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(paced.status == 0);
    CHECK(took >= 240ms); // 50 records at 200/s: the last one is due after 245 ms
}

TEST_CASE("IPv6 works end to end", "[udp][integration][udp-recv][udp-send]") {
    ChildProcess recv =
        start_netlab({"udp-recv", "-6", "--bind", "::1", "--port", "0", "--count", "1", "--timeout", "5"});
    std::uint16_t port = wait_for_listening_port(recv);
    RunResult send = run_netlab(
        {"udp-send", "[::1]:" + std::to_string(port), "--name", "six", "--math", "1", "--chinese", "2"});
    CHECK(send.status == 0);
    std::string out = recv.read_all_stdout(5s);
    CHECK(out.rfind("::1 ", 0) == 0);
    CHECK_THAT(out, Catch::EndsWith("six 1 2\n"));
    CHECK(recv.wait(5s) == 0);
}

TEST_CASE("the hexdump shows fields in both byte orders on both sides",
          "[udp][integration][udp-recv][udp-send]") {
    ChildProcess recv =
        start_netlab({"udp-recv", "--port", "0", "--count", "1", "--timeout", "5", "--hexdump"});
    std::uint16_t port = wait_for_listening_port(recv);
    RunResult send = run_netlab({"udp-send", localhost(port), "--math", "1", "--chinese", "2", "--hexdump"});
    CHECK_THAT(send.out, Catch::Contains("00 00 00 01"));
    CHECK_THAT(send.out, Catch::Contains("ntohl -> 1; read as little-endian without ntohl -> 16777216"));
    std::string out = recv.read_all_stdout(5s);
    CHECK_THAT(out, Catch::Contains("datagram from 127.0.0.1:"));
    CHECK_THAT(out, Catch::Contains("chinese  ntohl -> 2"));
    CHECK_THAT(out, Catch::Contains("\"Mike\" + NUL (5 bytes)"));
}

TEST_CASE("udp-send rejects a name too long to send", "[udp][integration][udp-send]") {
    RunResult send = run_netlab({"udp-send", "--port", "9", "--name", std::string(496, 'n')});
    CHECK(send.status == 2);
    CHECK(send.err == "netlab udp-send: name is 496 bytes, at most 495 fit in a record\n");
    CHECK(run_netlab({"udp-send", "--port", "9", "--name", std::string(495, 'n')}).status == 0);
}

TEST_CASE("writing records to a full disk is an error, not silent loss", "[udp][integration][udp-send]") {
    // /dev/full fails every write with ENOSPC.
    ChildProcess recv = ChildProcess::spawn(
        {"/bin/sh", "-c", "exec \"$0\" udp-recv --port 0 --count 1 --timeout 5 >/dev/full", netlab_binary()});
    std::uint16_t port = wait_for_listening_port(recv);
    run_netlab({"udp-send", localhost(port)});
    CHECK(recv.wait(5s) == 1);
    CHECK_THAT(recv.read_all_stderr(1s), Catch::Contains("write stdout: No space left on device"));
}

namespace {

// Names that the old JSON output could not carry: the issue's control character, quote and
// backslash; bytes that are not UTF-8 (0xFF, an overlong '/', a surrogate, a sequence cut short);
// UTF-8 of 2, 3 and 4 bytes; a terminal escape sequence with DEL and the 8-bit CSI.
const std::vector<std::string> awkward_names = {
    "a\x01"
    "b\"\\",
    "\xff\xfe"
    "caf\xc3\xa9",
    "\xc0\xaf\xed\xa0\x80\xe4\xb8",
    "caf\xc3\xa9 \xe5\xbc\xa0\xe4\xb8\x89 \xf0\x9f\x8e\x89",
    "\x1b[31mred\t\x7f\xc2\x9b"
    "2J\n",
};

// Sends each name with udp-send to a udp-recv --json and returns the JSON lines it printed.
std::vector<std::string> records_for(const std::vector<std::string>& names) {
    ChildProcess recv = start_netlab(
        {"udp-recv", "--port", "0", "--count", std::to_string(names.size()), "--timeout", "5", "--json"});
    std::uint16_t port = wait_for_listening_port(recv);
    std::vector<std::string> lines;
    for (const auto& name : names) {
        // argv carries any bytes but NUL, and udp-send puts them in the record as they are.
        RunResult send =
            run_netlab({"udp-send", localhost(port), "--name", name, "--math", "1", "--chinese", "2"});
        CHECK(send.status == 0);
        auto line = recv.read_stdout_line(5s);
        REQUIRE(line);
        lines.push_back(*line);
    }
    CHECK(recv.wait(5s) == 0);
    return lines;
}

} // namespace

TEST_CASE("udp-recv --json carries every name byte for byte", "[udp][integration][json]") {
    std::vector<std::string> lines = records_for(awkward_names);
    for (std::size_t i = 0; i < awkward_names.size(); ++i) {
        INFO(lines[i]);
        auto record = netlab::test::json::parse(lines[i]);
        REQUIRE(record);
        CHECK(netlab::test::json::field_bytes(*record, "name") == awkward_names[i]);
        CHECK(record->find("math")->text == "1");
        // Lines are safe to show: no control byte, escaped or not.
        CHECK(std::none_of(lines[i].begin(), lines[i].end(), [](char c) { return c >= 0 && c < 0x20; }));
    }
    auto first = netlab::test::json::parse(lines[0]);
    REQUIRE(first);
    CHECK(lines[0] == R"({"type":"record","ip":"127.0.0.1","port":)" + first->find("port")->text +
                          R"(,"name":"a\u0001b\"\\","math":1,"chinese":2})");
    CHECK_THAT(lines[1], Catch::Contains("\"name\":\"\xEF\xBF\xBD\xEF\xBF\xBD"
                                         "caf\xC3\xA9\",\"name_hex\":\"fffe636166c3a9\""));
    CHECK_THAT(lines[3], Catch::Contains("\"name\":\"" + awkward_names[3] + "\",\"math\""));
}

TEST_CASE("python3's json module reads the same bytes from udp-recv --json", "[udp][integration][json]") {
    const std::string python = "/usr/bin/python3";
    if (access(python.c_str(), X_OK) != 0) NETLAB_SKIP("needs python3");
    std::vector<std::string> lines = records_for(awkward_names);
    // The line goes as hex, so no locale decodes it on the way; the bytes come back as hex. "name"
    // must also be what Python itself makes of the bytes with errors="replace".
    const char* script = "import json, sys\n"
                         "r = json.loads(bytes.fromhex(sys.argv[1]))\n"
                         "b = bytes.fromhex(r['name_hex']) if 'name_hex' in r else r['name'].encode()\n"
                         "assert r['name'] == b.decode('utf-8', 'replace'), r\n"
                         "print(b.hex())\n";
    for (std::size_t i = 0; i < awkward_names.size(); ++i) {
        std::string line_hex, name_hex;
        netlab::json::append_hex(line_hex, lines[i]);
        netlab::json::append_hex(name_hex, awkward_names[i]);
        ChildProcess decode = ChildProcess::spawn({python, "-c", script, line_hex});
        std::string out = decode.read_all_stdout(10s);
        INFO(lines[i] << "\n" << decode.read_all_stderr(1s));
        CHECK(decode.wait(10s) == 0);
        CHECK(out == name_hex + "\n");
    }
}

TEST_CASE("a datagram a firewall rule drops on the way out is counted as lost, warned, not fatal",
          "[udp-send][root]") {
    // nft's drop in the output hook makes sendmmsg(2) fail with EPERM for that message: the datagram
    // is lost before it leaves, as on the wire, and udp-send goes on with the next one.
    NETLAB_NEEDS_ROOT("a lab of network namespaces with an nft rule");
    TestLab lab(2);
    // The rule drops records whose math score (the first 4 bytes after the UDP header, big-endian) is
    // below 50: a property of the datagram, so a message sent again is dropped again.
    netlab::run_program(lab.lab().exec_argv(
        "h1", {"nft", "add table inet netlab_udp; "
                      "add chain inet netlab_udp out { type filter hook output priority 0; }; "
                      "add rule inet netlab_udp out udp dport 2333 @th,64,32 < 50 drop"}));
    ChildProcess receiver = start_receiver(lab, "h2", {"udp-recv", "--json"});
    // --no-gso: one datagram per message, so that the rule judges each (a segmented batch of 64
    // would pass or fall as one). The seed makes the scores, and so the split, the same every run.
    RunResult lossy =
        lab.run("h1", {"udp-send", "198.18.0.2", "--count", "20", "--seed", "7", "--no-gso", "--json"});
    INFO(lossy.out << lossy.err);
    CHECK(lossy.status == 0);
    auto summary = netlab::test::json::parse(lossy.out.substr(0, lossy.out.find('\n')));
    REQUIRE(summary);
    REQUIRE(summary->find("sent"));
    REQUIRE(summary->find("lost"));
    long sent = std::stol(summary->find("sent")->text), lost = std::stol(summary->find("lost")->text);
    CHECK(sent + lost == 20);
    CHECK(sent > 0);
    CHECK(lost > 0);
    CHECK_THAT(lossy.err, Catch::Contains(std::to_string(lost) + " datagrams to 198.18.0.2:2333 dropped"));
    // A last record that passes the rule marks the end of what the receiver will get.
    REQUIRE(lab.run("h1", {"udp-send", "198.18.0.2", "--name", "end", "--math", "99"}).status == 0);
    long received = 0;
    for (;;) {
        auto line = receiver.read_stdout_line(5s);
        REQUIRE(line);
        if (line->find("\"name\":\"end\"") != std::string::npos) break;
        auto record = netlab::test::json::parse(*line);
        REQUIRE(record);
        REQUIRE(record->find("math"));
        CHECK(std::stol(record->find("math")->text) >= 50);
        ++received;
    }
    CHECK(received == sent);
    receiver.send_signal(SIGTERM);
    CHECK(receiver.wait(5s) == 0);
}
