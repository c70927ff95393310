// Man pages (man-pages(7), roff man macros) and bash/zsh completion generated from the CLI11 parsers.
#include "manual.hpp"

#include "version.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <vector>

namespace netlab::app {

namespace {

struct Example {
    std::string_view args; // after `netlab <command>`, split on spaces; each one must parse
    std::string_view what;
};

// What --help does not say: examples and related pages. Kept here rather than in the footers so
// that --help stays short; every example is parsed by the command's parser when a page is made.
struct Extra {
    std::string_view command;
    std::span<const Example> examples;
    std::string_view see_also; // besides netlab(1)
};

constexpr Example bcast_examples[] = {
    {"recv", "Print the broadcast score records that reach port 2333 of this host."},
    {"send --name Lucy --math 90 --chinese 85", "Broadcast one record to 255.255.255.255:2333."},
    {"send --iface eth0 --count 10 --rate 2", "Send ten records to the directed broadcast address of eth0."},
    {"send --no-so-broadcast", "See the kernel refuse a broadcast without SO_BROADCAST (EACCES)."},
};
constexpr Example demo_examples[] = {
    {"", "Run the narrated demo of every built subcommand on loopback."},
    {"--records 5", "The same with five records in the UDP part."},
};
constexpr Example ftp_get_examples[] = {
    {"127.0.0.1 notes.txt -o notes.txt", "Download notes.txt from a server on port 6969 of this host."},
    {"127.0.0.1 big --blksize 65464 --windowsize 16", "Download with large blocks and a window of 16."},
    {"127.0.0.1 upload.txt --put", "Upload upload.txt (the server needs --allow-write)."},
    {"127.0.0.1 image.iso --max-size 1G", "Refuse a server that announces or sends more than 1 GiB."},
};
constexpr Example ftp_serve_examples[] = {
    {"--root /srv/tftp", "Serve /srv/tftp on UDP port 6969; nothing outside it can be read."},
    {"--root /srv/tftp --allow-write --port 0", "Accept uploads on a port the kernel chooses."},
    {"--root /srv/tftp --port 69 --user tftp", "As root: the standard port, then run as the user tftp."},
    {"--drop 0.1 --seed 7", "Drop one packet in ten to watch the retransmissions."},
};
constexpr Example lab_examples[] = {
    {"up", "Build hosts h1, h2, h3 on one bridge: 198.18.0.1-3 and fd00:198:18::1-3."},
    {"up --name ttl --hosts 4 --segments 2 --mroute",
     "Two segments, a router between them that routes multicast."},
    {"exec h2 -- netlab mcast recv --count 1", "Run a command on host h2."},
    {"status --json", "Hosts, addresses, groups joined and routes, as JSON."},
    {"loss h1 10", "Drop 10% of what h1 sends and of what it receives (nftables); 0 removes it."},
    {"down --name ttl", "Stop what runs in lab ttl and delete its namespaces."},
};
constexpr Example mcast_examples[] = {
    {"recv", "Join 239.0.0.1 and print the records sent to port 2333."},
    {"send --ttl 1 --loop off", "Send one record to 239.0.0.1:2333 for the hosts on this link only."},
    {"recv --group ff12::1 --iface eth0", "Join an IPv6 group on eth0."},
    {"recv --group 232.1.1.1 --source 198.18.0.1", "A source-specific join: only 198.18.0.1's records."},
};
constexpr Example pool_server_examples[] = {
    {"--work-ms 1000", "Watch the scoreboard grow under a burst of clients (kill -USR1 dumps it)."},
    {"--min-spare 2 --max-spare 8 --max-clients 32", "Bound the pool between 2 and 8 idle workers."},
};
constexpr Example tcp_stamp_client_examples[] = {
    {"", "Print the time of the server on 127.0.0.1:2333 as the tutorial's client does."},
    {"127.0.0.1:2333 --human", "Also print it in ISO 8601."},
    {"--count 20000 --concurrency 16", "Load-test the server: connections per second and latencies."},
};
constexpr Example tcp_stamp_server_examples[] = {
    {"", "Serve the time on 0.0.0.0:2333, one line per connection, with epoll."},
    {"--model fork", "The tutorial's model: one process per connection, children reaped."},
    {"--port 0 --stats", "Let the kernel choose the port; print counts at exit."},
    {"--udp --format rfc868 --port 3700", "RFC 868 over UDP for rdate -u, rate-limited per source."},
};
constexpr Example udp_recv_examples[] = {
    {"", "Bind 0.0.0.0:2333 and print 'IP PORT' and 'name math chinese' per record."},
    {"--json --count 10", "Print ten records as JSON lines, then exit."},
    {"-q --stats --count 1000000", "Count a million records without printing them."},
};
constexpr Example udp_send_examples[] = {
    {"", "Send {Mike, random scores} to 127.0.0.1:2333 and print OK."},
    {"127.0.0.1:2333 --name Lucy --math 90 --chinese 85 --hexdump", "Send one record and show its bytes."},
    {"--count 1000000 --rate 0", "Flood: batched with sendmmsg(2); prints records per second."},
};

constexpr Extra extras[] = {
    {"bcast", bcast_examples, "netlab-udp-recv(1), netlab-mcast(1), udp(7), ip(7)"},
    {"demo", demo_examples, "netlab-udp-send(1), netlab-udp-recv(1), netlab-tcp-stamp-server(1)"},
    {"ftp-get", ftp_get_examples, "netlab-ftp-serve(1), tftp(1)"},
    {"ftp-serve", ftp_serve_examples, "netlab-ftp-get(1), in.tftpd(8)"},
    {"lab", lab_examples, "netlab-mcast(1), netlab-bcast(1), ip-netns(8), nft(8)"},
    {"mcast", mcast_examples, "netlab-bcast(1), netlab-lab(1), netlab-udp-recv(1), ip(7), ipv6(7)"},
    {"pool-server", pool_server_examples, "netlab-tcp-stamp-server(1), netlab-tcp-stamp-client(1)"},
    {"tcp-stamp-client", tcp_stamp_client_examples,
     "netlab-tcp-stamp-server(1), netlab-pool-server(1), tcp(7)"},
    {"tcp-stamp-server", tcp_stamp_server_examples,
     "netlab-tcp-stamp-client(1), netlab-pool-server(1), tcp(7)"},
    {"udp-recv", udp_recv_examples, "netlab-udp-send(1), udp(7), socket(7)"},
    {"udp-send", udp_send_examples, "netlab-udp-recv(1), udp(7), socket(7)"},
};

const Extra* find_extra(std::string_view command) {
    for (const auto& e : extras)
        if (e.command == command) return &e;
    return nullptr;
}

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
    for (std::size_t at = 0; at < text.size();) {
        auto end = std::min(text.find(' ', at), text.size());
        if (end > at) words.emplace_back(text.substr(at, end - at));
        at = end + 1;
    }
    return words;
}

std::vector<std::string> split_lines(std::string_view text) {
    std::vector<std::string> lines;
    for (std::size_t at = 0; at <= text.size();) {
        auto end = std::min(text.find('\n', at), text.size());
        lines.emplace_back(text.substr(at, end - at));
        at = end + 1;
    }
    while (!lines.empty() && lines.back().empty()) lines.pop_back();
    return lines;
}

// Roff text: '-' as \- so that options copied from the page work, backslashes escaped, and a line
// that would start with a control character protected by \&.
std::string roff(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\\')
            out += "\\e";
        else if (c == '-')
            out += "\\-";
        else
            out += c;
    }
    std::string protected_lines;
    bool line_start = true;
    for (char c : out) {
        if (line_start && (c == '.' || c == '\'')) protected_lines += "\\&";
        protected_lines += c;
        line_start = c == '\n';
    }
    return protected_lines;
}

// Paragraphs: the lines of a description are filled; an empty line starts a new paragraph.
std::string roff_paragraphs(std::string_view text) {
    std::string out;
    for (const auto& line : split_lines(text)) out += line.empty() ? ".PP\n" : roff(line) + "\n";
    return out;
}

std::vector<const CLI::Option*> listed_options(const CLI::App& app) {
    std::vector<const CLI::Option*> listed;
    // In --help's order: by group, hidden options (empty group) left out.
    for (const auto& group : app.get_groups()) {
        if (group.empty()) continue;
        for (const CLI::Option* opt :
             app.get_options([&](const CLI::Option* o) { return o->get_group() == group; }))
            if (opt->nonpositional()) listed.push_back(opt);
    }
    return listed;
}

std::vector<const CLI::Option*> positionals(const CLI::App& app) {
    return app.get_options(
        [](const CLI::Option* o) { return o->get_positional() && !o->get_group().empty(); });
}

std::vector<const CLI::App*> subcommands(const CLI::App& app) {
    return app.get_subcommands(
        // An empty group hides a subcommand from --help (lab's internal mrouted): from the page too.
        [](const CLI::App* s) {
            return !s->get_name().empty() && !s->get_disabled() && !s->get_group().empty();
        });
}

// Option names as --help prints them ("-b,--bind"), split.
std::vector<std::string> option_names(const CLI::Option& opt) {
    std::vector<std::string> names;
    for (const auto& s : opt.get_snames()) names.push_back("-" + s);
    for (const auto& l : opt.get_lnames()) names.push_back("--" + l);
    return names;
}

bool takes_value(const CLI::Option& opt) {
    return opt.get_expected_max() != 0; // flags expect 0 arguments
}

// ---- man pages ----

std::string page_header(const std::string& page_name, std::string_view summary) {
    std::string upper = page_name;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    return fmt::format(
        ".\\\" Generated by `netlab --man` from the parsers behind --help: edit the code, not this.\n"
        ".TH {} 1 \"\" \"netlab {}\" \"netlab manual\"\n.nh\n.SH NAME\n{} \\- {}\n",
        upper, NETLAB_VERSION, roff(page_name), roff(summary));
}

std::string option_items(const CLI::App& app, const CLI::Formatter& formatter) {
    std::string out;
    for (const CLI::Option* opt : listed_options(app)) {
        std::string names;
        for (const auto& n : option_names(*opt))
            names += (names.empty() ? "" : ", ") + fmt::format("\\fB{}\\fR", roff(n));
        std::string value = formatter.make_option_opts(opt);
        if (!value.empty() && value.front() == ' ') value.erase(0, 1);
        out += fmt::format(".TP\n{}{}\n{}", names, value.empty() ? "" : " \\fI" + roff(value) + "\\fR",
                           roff_paragraphs(opt->get_description()));
    }
    return out;
}

std::string argument_items(const CLI::App& app) {
    std::string out;
    for (const CLI::Option* opt : positionals(app))
        out += fmt::format(".TP\n\\fI{}\\fR {}\n{}", roff(opt->get_name(true, false)),
                           roff(opt->get_type_name()), roff_paragraphs(opt->get_description()));
    return out;
}

std::string synopsis(const CLI::App& app, const std::string& name, const CLI::Formatter& formatter) {
    std::string usage = formatter.make_usage(&app, name);
    constexpr std::string_view label = "Usage: ";
    if (usage.rfind(label, 0) == 0) usage.erase(0, label.size());
    while (!usage.empty() && usage.back() == '\n') usage.pop_back();
    return fmt::format(".B {}\n{}\n", roff(name),
                       roff(usage.substr(std::min(usage.size(), name.size() + 1))));
}

constexpr std::string_view exit_status =
    ".SH EXIT STATUS\n"
    ".TP\n.B 0\nSuccess.\n"
    ".TP\n.B 1\nRuntime failure: a system call failed, a peer sent an error, "
    "a timeout.\n"
    ".TP\n.B 2\nUsage error: unknown option, bad value.\n";

// Checks that an example parses with the command's parser; returns the error otherwise.
std::optional<std::string> example_error(const CommandEntry& command, MakeParser make_parser,
                                         const Example& ex) {
    auto parser = make_parser(command.summary, "netlab " + std::string(command.name), command.register_fn);
    std::vector<std::string> words = split_words(ex.args);
    words.insert(words.begin(), "netlab");
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    try {
        parser->app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::ParseError& e) {
        return std::string(e.what());
    }
    return std::nullopt;
}

int print_command_page(const CommandEntry& command, MakeParser make_parser) {
    const std::string name = "netlab " + std::string(command.name);
    const std::string page = "netlab-" + std::string(command.name);
    auto parser = make_parser(command.summary, name, command.register_fn);
    const CLI::App& app = parser->app;
    CLI::Formatter formatter;
    std::string out = page_header(page, command.summary);

    out += ".SH SYNOPSIS\n" + synopsis(app, name, formatter);
    out += ".SH DESCRIPTION\n" + roff_paragraphs(app.get_description());
    out += fmt::format(
        ".PP\nAs \\fB{}\\fR, \\fB{}\\fR or \\fB{}\\fR (a link to netlab, see \\fB\\-\\-install\\fR "
        "in \\fBnetlab\\fR(1)) it runs the same.\n",
        roff(name), roff(page), roff(command.name));
    if (!app.get_footer().empty()) out += ".PP\n" + roff_paragraphs(app.get_footer());
    if (!positionals(app).empty()) out += ".SH ARGUMENTS\n" + argument_items(app);
    out += ".SH OPTIONS\n" + option_items(app, formatter);
    if (auto subs = subcommands(app); !subs.empty()) {
        out += ".SH COMMANDS\n";
        for (const CLI::App* sub : subs) {
            std::string sub_name = name + " " + sub->get_name();
            out += fmt::format(".SS {}\n", roff(sub->get_name()));
            out += ".PP\n" + synopsis(*sub, sub_name, formatter);
            out += ".PP\n" + roff_paragraphs(sub->get_description());
            if (!sub->get_footer().empty()) out += ".PP\n" + roff_paragraphs(sub->get_footer());
            if (!positionals(*sub).empty()) out += ".PP\nArguments:\n.RS\n" + argument_items(*sub) + ".RE\n";
            out += ".PP\nOptions:\n.RS\n" + option_items(*sub, formatter) + ".RE\n";
        }
    }
    out += exit_status;
    const Extra* extra = find_extra(command.name);
    if (extra && !extra->examples.empty()) {
        out += ".SH EXAMPLES\n";
        for (const Example& ex : extra->examples) {
            if (auto error = example_error(command, make_parser, ex)) {
                fmt::print(stderr,
                           "netlab --man: the example '{} {}' does not parse: {} (fix app/manual.cpp)\n",
                           name, ex.args, *error);
                return 1;
            }
            std::string line = ex.args.empty() ? name : name + " " + std::string(ex.args);
            out += fmt::format(".PP\n{}\n.RS\n.nf\n\\fB{}\\fR\n.fi\n.RE\n", roff(ex.what), roff(line));
        }
    }
    out += ".SH SEE ALSO\n\\fBnetlab\\fR(1)";
    if (extra)
        for (auto ref : split_words(extra->see_also)) {
            if (ref.back() == ',') ref.pop_back();
            auto paren = ref.find('(');
            out += fmt::format(",\n\\fB{}\\fR{}", roff(ref.substr(0, paren)), roff(ref.substr(paren)));
        }
    out += "\n";
    fmt::print("{}", out);
    return 0;
}

int print_main_page(std::span<const CommandEntry> commands, MakeParser make_parser) {
    auto globals = make_parser("", "netlab", nullptr);
    CLI::Formatter formatter;
    std::string out = page_header("netlab", "learn and test Linux network programming");
    out += ".SH SYNOPSIS\n.B netlab\n\\fISUBCOMMAND\\fR [\\fIOPTIONS\\fR]\n.br\n"
           ".B netlab\n\\-\\-help | \\-\\-version | \\-\\-list | \\-\\-install \\fIDIR\\fR\n"
           ".br\n\\fISUBCOMMAND\\fR [\\fIOPTIONS\\fR] (through a link named after it)\n";
    out += ".SH DESCRIPTION\n"
           "netlab is one program whose subcommands are the programs of a socket programming tutorial: UDP "
           "score records, broadcast, multicast, a TCP time stamp server and client, a pre\\-forked process "
           "pool and TFTP.\n"
           "Like busybox it also runs as the subcommand it is named after, as \\fBudp\\-send\\fR or "
           "\\fBnetlab\\-udp\\-send\\fR.\n"
           ".PP\nData goes to stdout, diagnostics to stderr: one line such as\n"
           "\\(lqnetlab udp\\-recv: bind 0.0.0.0:2333: Address already in use\\(rq.\n";
    out += ".SH COMMANDS\n";
    for (const auto& c : commands)
        out += fmt::format(".TP\n\\fB{}\\fR\n{}. See \\fBnetlab\\-{}\\fR(1).\n", roff(c.name),
                           roff(c.summary), roff(c.name));
    out += ".SH OPTIONS\n"
           ".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nList the subcommands and exit.\n"
           ".TP\n\\fB\\-V\\fR, \\fB\\-\\-version\\fR\nPrint the version and exit.\n"
           ".TP\n\\fB\\-\\-list\\fR\nPrint the subcommands, one a line.\n"
           ".TP\n\\fB\\-\\-install\\fR \\fIDIR\\fR\nMake one symbolic link to netlab per subcommand in DIR, "
           "so that each runs as a command of its own.\n";
    out += ".SH GLOBAL OPTIONS\nEvery subcommand takes these.\n" + option_items(globals->app, formatter);
    out += exit_status;
    out += ".TP\n.B 127\nUnknown subcommand.\n";
    out += ".SH EXAMPLES\n"
           ".PP\nReceive score records in one terminal, send one from another.\n"
           ".RS\n.nf\n\\fBnetlab udp\\-recv\\fR\n\\fBnetlab udp\\-send \\-\\-name Lucy \\-\\-math "
           "90\\fR\n.fi\n.RE\n"
           ".PP\nRun the classroom demo on loopback.\n.RS\n.nf\n\\fBnetlab demo\\fR\n.fi\n.RE\n"
           ".PP\nMake the links, so that \\fBudp\\-send\\fR is a command.\n"
           ".RS\n.nf\n\\fBnetlab \\-\\-install ~/bin\\fR\n.fi\n.RE\n";
    out += ".SH SEE ALSO\n";
    for (std::size_t i = 0; i < commands.size(); ++i)
        out += fmt::format("\\fBnetlab\\-{}\\fR(1){}\n", roff(commands[i].name),
                           i + 1 < commands.size() ? "," : "");
    fmt::print("{}", out);
    return 0;
}

// ---- completion ----

// The commands' option and subcommand words, by command path ("udp-recv", "bcast send").
struct CompletionNode {
    std::string path;
    std::vector<const CLI::Option*> options;
    std::vector<std::string> subcommands;
};

std::vector<CompletionNode> completion_nodes(const CommandEntry& command, const CLI::App& app) {
    std::vector<CompletionNode> nodes;
    CompletionNode top{std::string(command.name), listed_options(app), {}};
    for (const CLI::App* sub : subcommands(app)) {
        top.subcommands.push_back(sub->get_name());
        CompletionNode node{top.path + " " + sub->get_name(), listed_options(*sub), {}};
        // A fallthrough subcommand also takes its parent's options (-v, -q, --json).
        if (sub->get_fallthrough())
            for (const CLI::Option* opt : top.options)
                if (std::find(node.options.begin(), node.options.end(), opt) == node.options.end())
                    node.options.push_back(opt);
        nodes.push_back(std::move(node));
    }
    nodes.insert(nodes.begin(), std::move(top));
    return nodes;
}

std::string join_names(const std::vector<const CLI::Option*>& options, bool values_only) {
    std::string out;
    for (const CLI::Option* opt : options)
        if (!values_only || takes_value(*opt))
            for (const auto& n : option_names(*opt)) out += (out.empty() ? "" : " ") + n;
    return out;
}

std::string join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
    return out;
}

constexpr std::string_view top_options = "-h --help -V --version --list --install";

int print_bash(std::span<const CommandEntry> commands, MakeParser make_parser) {
    std::string options, values, subs;
    std::vector<std::string> names;
    for (const auto& c : commands) {
        names.emplace_back(c.name);
        auto parser = make_parser(c.summary, "netlab " + std::string(c.name), c.register_fn);
        for (const auto& node : completion_nodes(c, parser->app)) {
            options +=
                fmt::format("        \"{}\") echo \"{}\" ;;\n", node.path, join_names(node.options, false));
            values +=
                fmt::format("        \"{}\") echo \"{}\" ;;\n", node.path, join_names(node.options, true));
            if (!node.subcommands.empty())
                subs += fmt::format("        \"{}\") echo \"{}\" ;;\n", node.path, join(node.subcommands));
        }
    }
    // Links made by `netlab --install` have the bare names, too generic (demo, bcast) to claim here.
    std::string links;
    for (const auto& n : names) links += " netlab-" + n;
    fmt::print(
        R"BASH(# bash completion for netlab(1). Generated by `netlab --completion bash` from its command table.

# The options of a command path ("", "udp-recv", "bcast send"), those that take a value, its subcommands.
_netlab_options() {{
    case "$1" in
        "") echo "{}" ;;
{}    esac
}}
_netlab_value_options() {{
    case "$1" in
        "") echo "--install" ;;
{}    esac
}}
_netlab_subcommands() {{
    case "$1" in
        "") echo "{}" ;;
{}    esac
}}

_netlab() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev= path= word i=1
    COMPREPLY=()
    # Run through a link named udp-recv or netlab-udp-recv: the link names the command.
    local self=${{COMP_WORDS[0]##*/}}
    [[ $self != netlab ]] && path=${{self#netlab-}}
    while (( i < COMP_CWORD )); do
        word=${{COMP_WORDS[i]}}
        if [[ $word == -* ]]; then
            [[ " $(_netlab_value_options "$path") " == *" $word "* ]] && (( i++ ))
        elif [[ " $(_netlab_subcommands "$path") " == *" $word "* ]]; then
            path=${{path:+$path }}$word
        fi
        (( i++ ))
    done
    (( COMP_CWORD > 1 )) && prev=${{COMP_WORDS[COMP_CWORD-1]}}
    # After an option that takes a value: nothing of ours (readline falls back to file names).
    if [[ -n $prev && $prev == -* && " $(_netlab_value_options "$path") " == *" $prev "* ]]; then
        return 0
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_netlab_options "$path")" -- "$cur"))
    else
        COMPREPLY=($(compgen -W "$(_netlab_subcommands "$path")" -- "$cur"))
    fi
}}
complete -o default -F _netlab netlab{}
)BASH",
        top_options, options, values, join(names), subs, links);
    return 0;
}

// zsh _arguments spec of one option name: '--bind[Local address]:HOST: '.
std::string zsh_spec(const std::string& name, const CLI::Option& opt) {
    std::string desc;
    for (char c : opt.get_description()) {
        if (c == '\n') c = ' ';
        if (c == '\'') {
            desc += "'\\''";
            continue;
        }
        if (c == '[' || c == ']' || c == ':' || c == '\\') desc += '\\';
        desc += c;
    }
    std::string value;
    if (takes_value(opt)) {
        std::string type = opt.get_type_name().empty() ? "VALUE" : opt.get_type_name();
        std::replace(type.begin(), type.end(), ':', ' ');
        std::replace(type.begin(), type.end(), '\'', ' ');
        bool path = type.find("PATH") != std::string::npos || type.find("DIR") != std::string::npos ||
                    type.find("FILE") != std::string::npos;
        value = fmt::format(":{}:{}", type, path ? "_files" : " ");
    }
    return fmt::format("'{}[{}]{}'", name, desc, value);
}

std::string zsh_arguments(const CompletionNode& node) {
    std::string out = "_arguments -s";
    for (const CLI::Option* opt : node.options)
        for (const auto& n : option_names(*opt)) out += " \\\n                " + zsh_spec(n, *opt);
    return out + " '*:argument:_default'";
}

std::string zsh_quote(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\'')
            out += "'\\''";
        else if (c == ':')
            out += "\\:";
        else
            out += c;
    }
    return out;
}

int print_zsh(std::span<const CommandEntry> commands, MakeParser make_parser) {
    std::string described, cases, links;
    for (const auto& c : commands) {
        links += " netlab-" + std::string(c.name);
        described += fmt::format("        '{}:{}'\n", c.name, zsh_quote(c.summary));
        auto parser = make_parser(c.summary, "netlab " + std::string(c.name), c.register_fn);
        auto nodes = completion_nodes(c, parser->app);
        const auto& top = nodes.front();
        if (top.subcommands.empty()) {
            cases += fmt::format("        {})\n            {} ;;\n", c.name, zsh_arguments(top));
            continue;
        }
        std::string sub_described, sub_cases;
        for (const CLI::App* sub : subcommands(parser->app))
            sub_described += fmt::format(" '{}:{}'", sub->get_name(), zsh_quote(sub->get_description()));
        for (std::size_t i = 1; i < nodes.size(); ++i)
            sub_cases += fmt::format("                {})\n                    {} ;;\n",
                                     top.subcommands[i - 1], zsh_arguments(nodes[i]));
        cases += fmt::format("        {})\n"
                             "            if (( CURRENT == 2 )); then\n"
                             "                local -a subs=({})\n"
                             "                _describe -t commands '{} subcommand' subs\n"
                             "                return\n"
                             "            fi\n"
                             "            shift words; (( CURRENT-- ))\n"
                             "            case $words[1] in\n{}"
                             "            esac ;;\n",
                             c.name, sub_described, c.name, sub_cases);
    }
    fmt::print(R"ZSH(#compdef netlab{}
# zsh completion for netlab(1). Generated by `netlab --completion zsh` from its command table.

_netlab() {{
    local -a commands=(
{}    )
    local cmd=${{service#netlab-}}
    if [[ $cmd == netlab ]]; then
        if (( CURRENT == 2 )); then
            if [[ $PREFIX == -* ]]; then
                compadd -- {}
            else
                _describe -t commands 'netlab subcommand' commands
            fi
            return
        fi
        cmd=$words[2]
        shift words; (( CURRENT-- ))
    fi
    case $cmd in
{}    esac
}}

_netlab "$@"
)ZSH",
               links, described, top_options, cases);
    return 0;
}

} // namespace

bool is_documentation_option(std::string_view arg) {
    return arg == "--man" || arg == "--completion";
}

int print_documentation(std::span<const CommandEntry> commands, MakeParser make_parser,
                        std::span<char* const> args) {
    std::string_view option = args.empty() ? "" : args[0];
    if (option == "--man" && args.size() == 1) return print_main_page(commands, make_parser);
    if (option == "--man" && args.size() == 2) {
        for (const auto& c : commands)
            if (c.name == args[1]) return print_command_page(c, make_parser);
        fmt::print(stderr, "netlab --man: unknown subcommand '{}'\n", args[1]);
        return 2;
    }
    if (option == "--completion" && args.size() == 2) {
        std::string_view shell = args[1];
        if (shell == "bash") return print_bash(commands, make_parser);
        if (shell == "zsh") return print_zsh(commands, make_parser);
    }
    fmt::print(stderr, "netlab: usage: netlab --man [SUBCOMMAND] | --completion bash|zsh\n");
    return 2;
}

} // namespace netlab::app
