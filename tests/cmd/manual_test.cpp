// Tests of the generated man pages and completions (app/manual.cpp) against --help and the built files.
#include "netlab_test.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unistd.h>

using namespace netlab::test;

namespace {

using Names = std::set<std::string>;

const std::string doc_dir = NETLAB_DOC_DIR;

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::vector<std::string> listed_commands() {
    RunResult list = run_netlab({"--list"});
    REQUIRE(list.status == 0);
    return lines_of(list.out);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

RunResult run_program(const std::vector<std::string>& argv) {
    netlab::ChildProcess child = netlab::ChildProcess::spawn(argv);
    return finish(child);
}

bool have_program(const std::string& path) {
    return ::access(path.c_str(), X_OK) == 0;
}

// Option names of `--help` ("  -b,--bind HOST   ...") and its subcommands ("  send   ...").
struct Help {
    Names options;
    std::vector<std::string> subcommands;
};

Help parse_help(const std::string& text) {
    Help help;
    bool in_subcommands = false;
    for (const auto& line : lines_of(text)) {
        if (line.empty() || line[0] != ' ') {
            in_subcommands = line == "Subcommands:";
            continue;
        }
        if (line.rfind("  -", 0) == 0) {
            std::string names = line.substr(2, line.find(' ', 2) - 2);
            std::istringstream in(names);
            for (std::string name; std::getline(in, name, ',');) help.options.insert(name);
        } else if (in_subcommands && line.rfind("  ", 0) == 0 && line[2] != ' ') {
            help.subcommands.push_back(line.substr(2, line.find(' ', 2) - 2));
        }
    }
    return help;
}

// Option names of a man page's item headers (".TP" then "\fB\-b\fR, \fB\-\-bind\fR \fIHOST\fR"), by
// section: "" for OPTIONS, the subcommand's name for its ".SS" under COMMANDS.
std::map<std::string, Names> parse_man_options(const std::string& page) {
    std::map<std::string, Names> options;
    std::optional<std::string> section;
    bool item_header = false;
    for (const auto& line : lines_of(page)) {
        if (line.rfind(".SH ", 0) == 0) {
            section = line == ".SH OPTIONS" || line == ".SH GLOBAL OPTIONS" ? std::optional<std::string>("")
                                                                            : std::nullopt;
        } else if (line.rfind(".SS ", 0) == 0) {
            section = line.substr(4);
        } else if (line == ".TP") {
            item_header = true;
            continue;
        } else if (item_header && section) {
            for (std::size_t at = 0; (at = line.find("\\fB\\-", at)) != std::string::npos;) {
                auto end = line.find("\\fR", at);
                std::string name = line.substr(at + 3, end - at - 3);
                std::string plain;
                for (std::size_t i = 0; i < name.size(); ++i)
                    if (!(name[i] == '\\' && i + 1 < name.size() && name[i + 1] == '-')) plain += name[i];
                options[*section].insert(plain);
                at = end;
            }
        }
        item_header = false;
    }
    return options;
}

std::string roff_dashes(const std::string& text) {
    std::string out;
    for (char c : text) out += c == '-' ? std::string("\\-") : std::string(1, c);
    return out;
}

Names long_options(const Names& names) {
    Names longs;
    for (const auto& n : names)
        if (n.rfind("--", 0) == 0) longs.insert(n);
    return longs;
}

// Runs the bash completion function as readline would for `words` with the cursor on the last word.
Names bash_complete(const std::vector<std::string>& words) {
    std::string array;
    for (const auto& w : words) array += " '" + w + "'";
    std::string script = "source '" + doc_dir + "/completion/netlab' || exit 3\n" + "COMP_WORDS=(" + array +
                         ")\nCOMP_CWORD=" + std::to_string(words.size() - 1) +
                         "\n_netlab\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
    RunResult r = run_program({"bash", "--norc", "--noprofile", "-c", script});
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());
    Names replies;
    for (const auto& line : lines_of(r.out))
        if (!line.empty()) replies.insert(line);
    return replies;
}

// Runs the zsh completion function with stubs for zsh's _describe, _arguments and compadd that print
// what they were given: the candidates as "name:description" or the option specs "--bind[...]:HOST: ".
Names zsh_complete(const std::vector<std::string>& words) {
    std::string array;
    for (const auto& w : words) array += " '" + w + "'";
    std::string script = "_describe() { print -l -- ${(P)${@[-1]}} }\n"
                         "_arguments() { print -l -- \"$@\" }\n"
                         "compadd() { print -l -- \"$@\" }\n"
                         "service=netlab words=(" +
                         array + ") CURRENT=" + std::to_string(words.size()) + " PREFIX='" + words.back() +
                         "'\nsource '" + doc_dir + "/completion/_netlab'\n";
    RunResult r = run_program({"zsh", "-f", "-c", script});
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());
    Names candidates;
    for (const auto& line : lines_of(r.out)) {
        if (line.empty() || line[0] == '*') continue; // the spec of the operands
        auto end = line.find_first_of(line.rfind("-", 0) == 0 ? "[" : ":");
        if (end != std::string::npos) candidates.insert(line.substr(0, end));
    }
    return candidates;
}

std::vector<std::string> man_page_files() {
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(doc_dir + "/man1"))
        files.push_back(entry.path().filename().string());
    std::sort(files.begin(), files.end());
    return files;
}

} // namespace

TEST_CASE("every option of --help is in the man page and every option of the man page in --help",
          "[manual]") {
    for (const auto& name : listed_commands()) {
        INFO(name);
        RunResult page = run_netlab({"--man", name});
        REQUIRE(page.status == 0);
        auto man = parse_man_options(page.out);
        Help help = parse_help(run_netlab({name, "--help"}).out);
        CHECK(!help.options.empty());
        CHECK(man[""] == help.options);
        for (const auto& sub : help.subcommands) {
            INFO(name + " " + sub);
            CHECK(man[sub] == parse_help(run_netlab({name, sub, "--help"}).out).options);
        }
        for (const auto& [section, names] : man)
            if (!section.empty())
                CHECK(std::find(help.subcommands.begin(), help.subcommands.end(), section) !=
                      help.subcommands.end());
    }
}

TEST_CASE("netlab(1) lists every subcommand and the global options", "[manual]") {
    RunResult page = run_netlab({"--man"});
    REQUIRE(page.status == 0);
    for (const auto& name : listed_commands()) {
        std::string escaped = roff_dashes(name);
        CHECK_THAT(page.out, Catch::Contains(".TP\n\\fB" + escaped + "\\fR\n"));
        CHECK_THAT(page.out, Catch::Contains("\\fBnetlab\\-" + escaped + "\\fR(1)"));
    }
    // The global options are those of every subcommand.
    auto man = parse_man_options(page.out);
    for (const char* global :
         {"-h", "--help", "-v", "--verbose", "-q", "--quiet", "--json", "--version", "--list", "--install"})
        CHECK(man[""].count(global) == 1);
    CHECK(run_netlab({"--man", "no-such-command"}).status == 2);
    CHECK(run_netlab({"--completion", "fish"}).status == 2);
}

TEST_CASE("every man page has the sections of man-pages(7)", "[manual]") {
    for (const auto& name : listed_commands()) {
        INFO(name);
        std::string page = run_netlab({"--man", name}).out;
        for (const char* section :
             {".SH NAME\nnetlab\\-", ".SH SYNOPSIS\n", ".SH DESCRIPTION\n", ".SH OPTIONS\n",
              ".SH EXIT STATUS\n", ".SH EXAMPLES\n", ".SH SEE ALSO\n\\fBnetlab\\fR(1)"})
            CHECK_THAT(page, Catch::Contains(section));
    }
}

TEST_CASE("the built man pages and completions equal a fresh generation", "[manual]") {
    std::vector<std::string> expected{"netlab.1"};
    for (const auto& name : listed_commands()) expected.push_back("netlab-" + name + ".1");
    std::sort(expected.begin(), expected.end());
    CHECK(man_page_files() == expected);
    CHECK(read_file(doc_dir + "/man1/netlab.1") == run_netlab({"--man"}).out);
    for (const auto& name : listed_commands()) {
        INFO(name);
        CHECK(read_file(doc_dir + "/man1/netlab-" + name + ".1") == run_netlab({"--man", name}).out);
    }
    CHECK(read_file(doc_dir + "/completion/netlab") == run_netlab({"--completion", "bash"}).out);
    CHECK(read_file(doc_dir + "/completion/_netlab") == run_netlab({"--completion", "zsh"}).out);
}

TEST_CASE("the man pages render without warnings", "[manual]") {
    if (!have_program("/usr/bin/groff")) NETLAB_SKIP("needs groff (groff-base): lint skipped");
    for (const auto& file : man_page_files()) {
        INFO(file);
        std::string path = doc_dir + "/man1/" + file;
        RunResult lint = run_program({"groff", "-ww", "-man", "-z", "-Tutf8", path});
        CHECK(lint.status == 0);
        CHECK(lint.err == "");
        if (!have_program("/usr/bin/man")) continue;
        RunResult shown =
            run_program({"env", "MANWIDTH=80", "LC_ALL=C.UTF-8", "man", "--warnings", "-l", path});
        CHECK(shown.status == 0);
        CHECK(shown.err == "");
        CHECK_THAT(shown.out, Catch::Contains("EXIT STATUS"));
    }
}

TEST_CASE("bash completion lists the subcommands and each subcommand's options", "[manual][completion]") {
    auto names = listed_commands();
    CHECK(bash_complete({"netlab", ""}) == Names(names.begin(), names.end()));
    CHECK(bash_complete({"netlab", "udp-r"}) == Names{"udp-recv"});
    CHECK(bash_complete({"netlab", "--l"}) == Names{"--list"});
    for (const auto& name : names) {
        INFO(name);
        Help help = parse_help(run_netlab({name, "--help"}).out);
        CHECK(bash_complete({"netlab", name, "--"}) == long_options(help.options));
        CHECK(bash_complete({"netlab", name, "-v", "-"}) == help.options);
        if (help.subcommands.empty()) continue;
        CHECK(bash_complete({"netlab", name, ""}) == Names(help.subcommands.begin(), help.subcommands.end()));
        for (const auto& sub : help.subcommands) {
            INFO(sub);
            Names sub_options = long_options(parse_help(run_netlab({name, sub, "--help"}).out).options);
            Names completed = bash_complete({"netlab", name, sub, "--"});
            // Fallthrough: the parent's -v, -q and --json are accepted there too.
            CHECK(std::includes(completed.begin(), completed.end(), sub_options.begin(), sub_options.end()));
            CHECK(completed.count("--json") == 1);
        }
    }
    // After an option that takes a value, no option is offered (readline completes file names).
    CHECK(bash_complete({"netlab", "udp-recv", "--bind", ""}).empty());
    CHECK(bash_complete({"netlab", "udp-recv", "--bind", "0.0.0.0", "--c"}) == Names{"--count"});
    CHECK(bash_complete({"netlab", "mcast", "recv", "--group", "239.0.0.1", "--so"}) == Names{"--source"});
    // Through a link named netlab-udp-recv.
    CHECK(bash_complete({"netlab-udp-recv", "--st"}) == Names{"--stats"});
}

TEST_CASE("zsh completion is valid zsh and lists the subcommands and their options", "[manual][completion]") {
    if (!have_program("/usr/bin/zsh")) NETLAB_SKIP("needs zsh: syntax check skipped");
    RunResult check = run_program({"zsh", "-n", doc_dir + "/completion/_netlab"});
    CHECK(check.status == 0);
    CHECK(check.err == "");
    auto names = listed_commands();
    CHECK(zsh_complete({"netlab", ""}) == Names(names.begin(), names.end()));
    for (const auto& name : names) {
        INFO(name);
        Help help = parse_help(run_netlab({name, "--help"}).out);
        if (help.subcommands.empty()) {
            CHECK(zsh_complete({"netlab", name, "--"}) == help.options);
            continue;
        }
        CHECK(zsh_complete({"netlab", name, ""}) == Names(help.subcommands.begin(), help.subcommands.end()));
        for (const auto& sub : help.subcommands) {
            Names sub_options = parse_help(run_netlab({name, sub, "--help"}).out).options;
            Names completed = zsh_complete({"netlab", name, sub, "--"});
            CHECK(std::includes(completed.begin(), completed.end(), sub_options.begin(), sub_options.end()));
        }
    }
    std::string zsh = read_file(doc_dir + "/completion/_netlab");
    CHECK(zsh.rfind("#compdef netlab", 0) == 0);
}
