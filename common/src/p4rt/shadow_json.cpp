// The shadow as JSON, for a warm restart: every stored entry in its canonical wire form
// (hex of the serialised TableEntry) under its table's name.
#include <string>

#include "chima/error.hpp"
#include "operations.hpp"
#include "table_entry.hpp"

namespace chima::p4rt {

namespace {

constexpr const char* kFormat = "chima-p4rt-shadow-1";

std::string to_hex(const std::string& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string from_hex(const std::string& hex) {
    if (hex.size() % 2)
        throw InputError("P4Runtime shadow: odd hex string");
    std::string out;
    for (size_t i = 0; i < hex.size(); i += 2)
        out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    return out;
}

}  // namespace

nlohmann::json Entities::save() const {
    nlohmann::json j = {{"format", kFormat}, {"tables", nlohmann::json::object()}};
    if (!bound_)
        return j;
    for (const auto& [id, state] : bound_->state) {
        auto& list = j["tables"][bound_->index.tables.at(id).name];
        list = nlohmann::json::array();
        for (const auto& [key, s] : state.entries)
            list.push_back({{"entry", to_hex(s.entry.SerializeAsString())}, {"const", s.is_const}});
    }
    return j;
}

void Entities::restore(const nlohmann::json& saved) {
    if (!bound_)
        throw RuntimeError("P4Runtime shadow: restore before a pipeline config");
    if (saved.value("format", "") != kFormat)
        throw InputError("P4Runtime shadow: format is not " + std::string(kFormat));
    std::map<uint32_t, detail::TableState> state;
    for (const auto& [name, list] : saved.at("tables").items()) {
        const detail::TableInfo* t = nullptr;
        for (const auto& [id, info] : bound_->index.tables)
            if (info.name == name)
                t = &info;
        if (!t)
            throw InputError("P4Runtime shadow: table '" + name + "' is not in the P4Info");
        detail::TableState& st = state[t->id];
        for (const auto& item : list) {
            ::p4::v1::TableEntry entry;
            if (!entry.ParseFromString(from_hex(item.at("entry").get<std::string>())))
                throw InputError("P4Runtime shadow: table '" + name + "': unreadable entry");
            entry.set_table_id(t->id);
            try {
                detail::EntryValue v = detail::parse_match(*t, entry);
                detail::parse_action(bound_->index, *t, entry, v, false);
                detail::StoredEntry s =
                    detail::stored_entry(bound_->index, *t, v, item.value("const", false));
                detail::copy_cookies(entry, s.entry);
                std::string key = detail::entry_key(v);
                // A shadow's backends keep what the maps would (mask slots in use).
                if (!pipeline_)
                    t->backend->put(*t, v);
                st.by_plane[s.plane_key] = key;
                st.entries.emplace(key, std::move(s));
            } catch (const P4rtError& e) {
                throw InputError("P4Runtime shadow: table '" + name + "': " + e.what());
            }
        }
    }
    for (auto& [id, st] : state)
        bound_->state[id] = std::move(st);
}

}  // namespace chima::p4rt
