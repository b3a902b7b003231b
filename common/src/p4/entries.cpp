#include "chima/p4/entries.hpp"

#include <cstring>

#include "chima/error.hpp"

namespace chima::p4 {

namespace {

using nlohmann::json;

uint64_t mask_of(int w) {
    return w >= 64 ? ~0ULL : ((1ULL << w) - 1);
}

void put_host(std::vector<uint8_t>& buf, int off, int size, uint64_t v) {
    std::memcpy(buf.data() + off, &v, static_cast<size_t>(size));  // little-endian hosts
}

void put_big(std::vector<uint8_t>& buf, int off, int size, uint64_t v) {
    for (int b = 0; b < size; ++b)
        buf[off + b] = static_cast<uint8_t>(v >> ((size - 1 - b) * 8));
}

const json& find_named(const json& list, const std::string& name, const std::string& what) {
    for (const auto& x : list)
        if (x.at("name") == name)
            return x;
    throw InputError("unknown " + what + " '" + name + "'");
}

}  // namespace

EncodedEntry encode_entry(const json& p4info, const EntrySpec& e) {
    const json& t = find_named(p4info.at("tables"), e.table, "table");
    const json& a = find_named(p4info.at("actions"), e.action, "action");
    std::string kind = t.at("kind");
    int id = a.at("id");
    bool allowed = false;
    for (int x : t.at("action_ids"))
        allowed |= x == id;
    if (!allowed)
        throw InputError("action '" + e.action + "' is not an action of table '" + e.table + "'");
    const json& keys = t.at("keys");
    if (e.keys.size() != keys.size())
        throw InputError("table '" + e.table + "' has " + std::to_string(keys.size()) +
                         " keys, entry has " + std::to_string(e.keys.size()));
    const json& params = a.at("params");
    if (e.params.size() != params.size())
        throw InputError("action '" + e.action + "' takes " + std::to_string(params.size()) +
                         " parameters, entry has " + std::to_string(e.params.size()));

    EncodedEntry out;
    out.map = t.at("map");
    out.key.assign(t.at("key_size").get<size_t>(), 0);
    out.value.assign(t.at("value_size").get<size_t>(), 0);
    put_host(out.value, 0, 4, static_cast<uint64_t>(id));
    put_host(out.value, 4, 4, e.priority);
    for (size_t i = 0; i < params.size(); ++i) {
        int w = params[i].at("width");
        if (e.params[i] & ~mask_of(w))
            throw InputError("parameter '" + params[i].at("name").get<std::string>() + "' of '" +
                             e.action + "' does not fit in bit<" + std::to_string(w) + ">");
        put_host(out.value, params[i].at("offset"), params[i].at("size"), e.params[i]);
    }
    // Key order in the P4Info may differ from P4 order (lpm tables put the lpm field last):
    // match the entry's keys to fields by name in P4 order.
    std::vector<const json*> fields;
    for (const auto& k : keys)
        fields.push_back(&k);
    if (kind == "ternary") {
        out.masks_map = t.at("masks_map");
        out.mask.assign(out.key.size(), 0);
        put_host(out.mask, 0, 4, 1);  // slot in use
    }
    int prefix = 0;
    for (size_t i = 0; i < keys.size(); ++i) {
        const json& f = keys[i];
        size_t src = f.contains("p4_index") ? f.at("p4_index").get<size_t>() : i;
        const KeyMatch& m = e.keys.at(src);
        int w = f.at("width"), off = f.at("offset"), size = f.at("size");
        std::string match = f.at("match");
        if (m.value & ~mask_of(w))
            throw InputError("key '" + f.at("name").get<std::string>() +
                             "' value does not fit in bit<" + std::to_string(w) + ">");
        if (kind == "exact") {
            put_host(out.key, off, size, m.value);
        } else if (kind == "lpm") {
            if (match == "lpm") {
                int plen = m.wildcard ? 0 : (m.prefix_len < 0 ? w : m.prefix_len);
                if (plen > w)
                    throw InputError("prefix length above the key width");
                uint64_t v = plen == 0 ? 0 : (m.value & (mask_of(plen) << (w - plen)));
                put_big(out.key, off, size, v << (size * 8 - w));
                prefix += plen;
            } else {
                put_big(out.key, off, size, m.value);
                prefix += size * 8;
            }
        } else {
            uint64_t mask = m.wildcard ? 0 : (match == "exact" ? mask_of(w) : m.mask & mask_of(w));
            if (match == "lpm" && !m.wildcard) {
                int plen = m.prefix_len < 0 ? w : m.prefix_len;
                mask = plen == 0 ? 0 : (mask_of(plen) << (w - plen)) & mask_of(w);
            }
            put_host(out.key, off, size, m.value & mask);
            put_host(out.mask, off, size, mask);
        }
    }
    if (kind == "lpm")
        put_host(out.key, 0, 4, static_cast<uint64_t>(prefix));
    return out;
}

}  // namespace chima::p4
