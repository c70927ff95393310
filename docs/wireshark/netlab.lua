-- netlab.lua: a Wireshark/tshark dissector for netlab's score record (lib/score_record.hpp) over UDP
-- (RFC 768), port 2333 by default: {uint32 math, uint32 chinese, char name[]} packed, both numbers in
-- network byte order, the name NUL-terminated, at most 504 bytes in all.
--   tshark -X lua_script:docs/wireshark/netlab.lua -r capture.pcap
--   tshark -X lua_script:docs/wireshark/netlab.lua -o netlab.port:40000 -r capture.pcap
--   tshark -X lua_script:docs/wireshark/netlab.lua -d udp.port==40000,netlab -r capture.pcap
-- The checks are those of netlab's decoder, in the same order, so Wireshark and `netlab udp-recv` agree
-- on what is malformed.

local header_size = 8
local max_datagram = 504
local min_datagram = header_size + 1 -- an empty name is just its NUL

local netlab = Proto("netlab", "netlab score record")

local f_math = ProtoField.uint32("netlab.math", "Math", base.DEC)
local f_chinese = ProtoField.uint32("netlab.chinese", "Chinese", base.DEC)
local f_name = ProtoField.stringz("netlab.name", "Name")
local f_padding = ProtoField.bytes("netlab.padding", "Zero padding")
local f_data = ProtoField.bytes("netlab.data", "Undecoded bytes")
netlab.fields = { f_math, f_chinese, f_name, f_padding, f_data }

local e_too_short = ProtoExpert.new("netlab.too_short", "Record too short",
    expert.group.MALFORMED, expert.severity.ERROR)
local e_too_long = ProtoExpert.new("netlab.too_long", "Record too long",
    expert.group.MALFORMED, expert.severity.ERROR)
local e_no_nul = ProtoExpert.new("netlab.no_terminator", "Name is not NUL-terminated",
    expert.group.MALFORMED, expert.severity.ERROR)
local e_trailing = ProtoExpert.new("netlab.trailing_bytes", "Non-zero bytes after the name's NUL",
    expert.group.MALFORMED, expert.severity.ERROR)
netlab.experts = { e_too_short, e_too_long, e_no_nul, e_trailing }

netlab.prefs.port = Pref.uint("UDP port", 2333, "The UDP port whose datagrams are score records")

function netlab.dissector(tvb, pinfo, tree)
    local length = tvb:reported_length_remaining()
    pinfo.cols.protocol = "NETLAB"
    local item = tree:add(netlab, tvb(), "netlab score record")

    if length < min_datagram then
        item:add_proto_expert_info(e_too_short,
            string.format("Record too short: %d bytes, a record has at least %d", length, min_datagram))
        if length > 0 then item:add(f_data, tvb()) end
        pinfo.cols.info = string.format("Malformed score record (%d bytes: too short)", length)
        return length
    end
    if length > max_datagram then
        item:add_proto_expert_info(e_too_long,
            string.format("Record too long: %d bytes, a record has at most %d", length, max_datagram))
        item:add(f_data, tvb())
        pinfo.cols.info = string.format("Malformed score record (%d bytes: too long)", length)
        return length
    end

    local math = tvb(0, 4):uint()
    local chinese = tvb(4, 4):uint()
    item:add(f_math, tvb(0, 4))
    item:add(f_chinese, tvb(4, 4))

    -- The name runs to the first NUL; a capture cut short by the snap length cannot be judged.
    local captured = tvb:len()
    local nul = nil
    for i = header_size, captured - 1 do
        if tvb(i, 1):uint() == 0 then
            nul = i
            break
        end
    end
    if not nul then
        item:add(f_data, tvb(header_size))
        item:add_proto_expert_info(e_no_nul)
        pinfo.cols.info = string.format("Malformed score record (math %d, chinese %d: name not NUL-terminated)",
            math, chinese)
        return length
    end
    local name = tvb(header_size, nul - header_size):string()
    item:add(f_name, tvb(header_size, nul - header_size + 1))
    if nul + 1 < captured then
        local rest = tvb(nul + 1)
        local nonzero = false
        for i = 0, rest:len() - 1 do
            if rest(i, 1):uint() ~= 0 then
                nonzero = true
                break
            end
        end
        if nonzero then
            item:add(f_data, rest)
            item:add_proto_expert_info(e_trailing)
            pinfo.cols.info = string.format("Malformed score record (%s: bytes after the name's NUL)", name)
            return length
        end
        item:add(f_padding, rest)
    end
    item:append_text(string.format(": %s, math %d, chinese %d", name, math, chinese))
    pinfo.cols.info = string.format("Score record: %s math %d chinese %d", name, math, chinese)
    return length
end

-- After the dissector exists: a table takes only a protocol that has one.
local udp_port = DissectorTable.get("udp.port")
local registered_port = nil
local function register_port()
    if registered_port == netlab.prefs.port then return end
    if registered_port then udp_port:remove(registered_port, netlab) end
    registered_port = netlab.prefs.port
    udp_port:add(registered_port, netlab)
end
netlab.prefs_changed = register_port
register_port()
-- So that "Decode As" and tshark's -d udp.port==P,netlab offer it for any port.
udp_port:add_for_decode_as(netlab)
