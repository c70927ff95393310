#!/usr/bin/env python3
"""Writes the fuzz seed corpus: real packets of each protocol netlab decodes, valid and malformed.

Run from anywhere: tests/fuzz/make_corpus.py. Files are named after what they hold, so a finding's input
kept beside them (crash-*, regression-*) is never overwritten. The corpus replay test
(tests/lib/fuzz_corpus_test.cpp) and fuzz/run.sh read tests/fuzz/corpus/<target>/.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("latin-1")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def record(math, chinese, name):
    return struct.pack(">II", math, chinese) + name + b"\0"


def score_record():
    t = "score_record"
    write(t, "mike-13", record(83, 86, b"Mike"))  # the tutorial's record: 8 + 4 + NUL
    write(t, "empty-name-9", record(0, 0, b""))
    write(t, "max-504", record(100, 100, b"x" * 495))
    write(t, "utf8-name", record(60, 70, "张三".encode()))
    write(t, "escape-name", record(1, 2, b"\x1b[2J\x1b]0;pwned\x07"))
    write(t, "zero-padded", record(90, 85, b"Mike") + b"\0" * 20)
    write(t, "too-short-8", struct.pack(">II", 1, 2))
    write(t, "empty", b"")
    write(t, "no-nul", struct.pack(">II", 90, 85) + b"Mike")
    write(t, "trailing-bytes", record(90, 85, b"Mike") + b"junk")
    write(t, "too-long-505", record(1, 1, b"y" * 496))
    write(t, "host-order", struct.pack("<II", 90, 85) + b"Mike\0")


def stamps():
    write("stamp_unix", "now", "1764583200\n")
    write("stamp_unix", "zero", "0\n")
    write("stamp_unix", "negative", "-86400\n")
    write("stamp_unix", "blanks-crlf", "  \t1764583200\r\n")
    write("stamp_unix", "no-newline", "1764583200")
    write("stamp_unix", "int64-max", "9223372036854775807\n")
    write("stamp_unix", "int64-min", "-9223372036854775808\n")
    write("stamp_unix", "overflow", "9223372036854775808\n")
    write("stamp_unix", "garbage", "12ab\n")
    write("stamp_unix", "empty", "")
    write("stamp_unix", "two-lines", "1\n2\n")
    for name, secs in [("now", 1764583200), ("epoch-1900", -2208988800), ("epoch-1970", 0),
                       ("wrap-2036", 2085978495)]:
        write("stamp_rfc868", name, struct.pack(">I", (secs + 2208988800) & 0xFFFFFFFF))
    write("stamp_rfc868", "short-3", b"\xea\x8b\x3c")
    write("stamp_rfc868", "long-5", b"\xea\x8b\x3c\x10\x00")
    write("stamp_rfc868", "empty", b"")
    write("stamp_daytime", "now", "2026-12-01T10:00:00Z\r\n")
    write("stamp_daytime", "lf-only", "2026-12-01T10:00:00Z\n")
    write("stamp_daytime", "no-newline", "1970-01-01T00:00:00Z")
    write("stamp_daytime", "leap-second", "2016-12-31T23:59:60Z\r\n")
    write("stamp_daytime", "last-year", "9999-12-31T23:59:59Z\r\n")
    write("stamp_daytime", "month-13", "2026-13-01T10:00:00Z\r\n")
    write("stamp_daytime", "rfc867-text", "Tuesday, December 1, 2026 10:00:00-UTC\r\n")
    write("stamp_daytime", "short", "2026-12-01T10:00\r\n")
    write("stamp_daytime", "signs", "2026-+1-01T10:00:00Z\r\n")
    write("stamp_daytime", "no-such-day", "2026-02-29T00:00:00Z\r\n")
    write("stamp_daytime", "minus-zero-hour", "2026-12-01T-0:00:00Z\r\n")


def s(*parts):
    return b"".join(p.encode() + b"\0" for p in parts)


def tftp():
    t = "tftp_packet"
    op = lambda n: struct.pack(">H", n)
    write(t, "rrq-octet", op(1) + s("hello.txt", "octet"))
    write(t, "rrq-netascii-upper", op(1) + s("notes.txt", "NETASCII"))
    write(t, "rrq-options", op(1) + s("big.bin", "octet", "blksize", "1428", "tsize", "0", "timeout", "3",
                                      "windowsize", "16"))
    write(t, "wrq-options", op(2) + s("upload.bin", "octet", "tsize", "1048576", "blksize", "65464"))
    write(t, "wrq-plain", op(2) + s("upload.bin", "octet"))
    write(t, "rrq-blksize-8-more", op(1) + s("f", "octet", "blksize", "8", "windowsize", "65535",
                                             "timeout", "255", "tsize", "0", "x-extra", "1"))
    write(t, "rrq-bad-values", op(1) + s("f", "octet", "blksize", "7", "timeout", "0"))
    write(t, "rrq-not-numbers", op(1) + s("f", "octet", "blksize", "-1", "windowsize", "1e3"))
    write(t, "rrq-huge-values", op(1) + s("f", "octet", "blksize", "99999999999999999999999",
                                          "windowsize", "18446744073709551615"))
    write(t, "rrq-no-nul", op(1) + b"hello.txt\0octet")
    write(t, "rrq-no-mode", op(1) + s("hello.txt"))
    write(t, "rrq-mail-mode", op(1) + s("hello.txt", "mail"))
    write(t, "rrq-dotdot", op(1) + s("../../etc/passwd", "octet"))
    write(t, "rrq-absolute", op(1) + s("/etc/passwd", "octet"))
    write(t, "rrq-dots-slashes", op(1) + s("....//....//etc", "octet"))
    write(t, "rrq-long-name", op(1) + s("a" * 1000, "octet"))
    write(t, "rrq-many-options", op(1) + s("f", "octet", *[x for i in range(20) for x in (f"o{i}", "1")]))
    write(t, "rrq-option-twice", op(1) + s("f", "octet", "blksize", "512", "BLKSIZE", "1024"))
    write(t, "rrq-option-no-value", op(1) + s("f", "octet", "blksize"))
    write(t, "data-full", op(3) + struct.pack(">H", 1) + bytes(range(256)) * 2)
    write(t, "data-last", op(3) + struct.pack(">H", 7) + b"tail")
    write(t, "data-empty", op(3) + struct.pack(">H", 65535))
    write(t, "data-no-block", op(3) + b"\x01")
    write(t, "ack-0", op(4) + struct.pack(">H", 0))
    write(t, "ack-65535", op(4) + struct.pack(">H", 65535))
    write(t, "ack-long", op(4) + struct.pack(">HH", 1, 2))
    write(t, "error-not-found", op(5) + struct.pack(">H", 1) + s("File not found"))
    write(t, "error-empty-msg", op(5) + struct.pack(">H", 0) + b"\0")
    write(t, "error-2-bytes", op(5))
    write(t, "error-3-bytes", op(5) + b"\x00")
    write(t, "error-no-nul", op(5) + struct.pack(">H", 8) + b"refused")
    write(t, "error-escape", op(5) + struct.pack(">H", 0) + s("\x1b[31mred"))
    write(t, "oack", op(6) + s("blksize", "1428", "tsize", "4096", "windowsize", "16"))
    write(t, "oack-timeout", op(6) + s("timeout", "3"))
    write(t, "oack-empty", op(6))
    write(t, "oack-unasked", op(6) + s("x-unasked", "1"))
    write(t, "opcode-0", op(0) + b"xyz")
    write(t, "opcode-7", op(7) + b"xyz")
    write(t, "one-byte", b"\x00")

    n = "tftp_netascii"
    write(n, "unix-lines", b"line one\nline two\n")
    write(n, "crlf", b"already\r\ncrlf\r\n")
    write(n, "lone-cr", b"a\rb\r")
    write(n, "cr-nul", b"wire\r\0form\r\n")
    write(n, "binary", bytes(range(256)))

    p = "tftp_path"
    for name, text in [("plain", "hello.txt"), ("subdir", "a/b/c.txt"), ("dotdot", "../etc/passwd"),
                       ("inner-dotdot", "a/../../b"), ("dots", "....//....//x"), ("absolute", "/etc/passwd"),
                       ("dot", "."), ("slashes", "a//b///c"), ("empty", ""), ("nul", "..\0x"),
                       ("trailing-dotdot", "a/..")]:
        write(p, name, text)


def addresses():
    t = "address"
    for name, text in [("v4", "127.0.0.1"), ("v4-port", "127.0.0.1:2333"), ("v6", "::1"),
                       ("v6-port", "[::1]:2333"), ("v6-brackets", "[2001:db8::1]"), ("scoped", "fe80::1%lo"),
                       ("scoped-port", "[fe80::1%1]:69"), ("wildcard", "*:2333"), ("port-only", ":6969"),
                       ("mapped", "[::ffff:198.18.0.1]:80"), ("short-v4", "127.1"), ("bad-port", "1.2.3.4:65536"),
                       ("no-bracket", "[::1"), ("junk-after", "[::1]x"), ("name", "localhost:80"),
                       ("empty", ""), ("nul", "1.2.3.4\0evil")]:
        write(t, name, text)


def text():
    t = "text_escape"
    for name, data in [("plain", b"Mike"), ("utf8", "Zhang San 张三 🎉".encode()), ("csi", b"\x1b[31mred\x1b[0m"),
                       ("osc-title", b"\x1b]0;pwned\x07"), ("c1-csi", b"\xc2\x9b2J"), ("not-utf8", b"\xff\xfe\xc0\xaf"),
                       ("surrogate", b"\xed\xa0\x80"), ("truncated", b"\xe4\xb8"), ("backslash", b"a\\x41\\"),
                       ("quotes", b'say "hi"\n'), ("del", b"\x7f\x00\x01"), ("long-plain", b"abcdefgh" * 8 + b"\\")]:
        write(t, name, data)


if __name__ == "__main__":
    score_record()
    stamps()
    tftp()
    addresses()
    text()
