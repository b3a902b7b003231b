// P4Runtime ids and aliases as p4c forms them (see chima/p4/p4runtime_info.hpp).
#include <algorithm>
#include <map>
#include <set>

#include "chima/error.hpp"
#include "chima/p4/p4runtime_info.hpp"

namespace chima::p4 {

namespace {

constexpr uint32_t kLowBits = 0xffffff;

uint32_t with_prefix(P4IdPrefix type, uint32_t low) {
    return (static_cast<uint32_t>(type) << 24) | (low & kLowBits);
}

std::vector<std::string> split_dots(const std::string& name) {
    std::vector<std::string> parts;
    size_t begin = 0;
    for (;;) {
        size_t dot = name.find('.', begin);
        parts.push_back(name.substr(begin, dot == std::string::npos ? dot : dot - begin));
        if (dot == std::string::npos)
            return parts;
        begin = dot + 1;
    }
}

}  // namespace

uint32_t p4runtime_name_hash(std::string_view name) {
    uint32_t h = 0;
    for (unsigned char c : name) {
        h += c;
        h += h << 10;
        h ^= h >> 6;
    }
    h += h << 3;
    h ^= h >> 11;
    h += h << 15;
    return h;
}

void P4IdAllocator::reserve(P4IdPrefix type, const std::string& name, uint32_t id) {
    uint32_t prefix = id >> 24;
    if (prefix != 0 && prefix != static_cast<uint32_t>(type))
        throw InputError("'" + name + "': @id " + std::to_string(id) +
                         " has the wrong 8-bit prefix for its kind of entity");
    uint32_t full = with_prefix(type, id);
    if (taken_.count(full))
        throw InputError("'" + name + "': @id " + std::to_string(id) +
                         " is assigned to more than one entity");
    taken_[full] = true;
    ids_[{type, name}] = full;
}

void P4IdAllocator::add(P4IdPrefix type, const std::string& name) {
    ids_.emplace(std::make_pair(type, name), std::nullopt);
}

void P4IdAllocator::assign() {
    // The map is ordered by (type, name): per type, names in byte order, as p4c sorts them
    // so that probing past a collision is deterministic.
    for (auto& [key, id] : ids_) {
        if (id)
            continue;
        uint32_t value = p4runtime_name_hash(key.second);
        const uint32_t start = value;
        while (taken_.count(with_prefix(key.first, value))) {
            ++value;
            if (value == start)
                throw InputError("no P4Runtime id left for '" + key.second + "'");
        }
        id = with_prefix(key.first, value);
        taken_[*id] = true;
    }
}

uint32_t P4IdAllocator::id(P4IdPrefix type, const std::string& name) const {
    auto it = ids_.find({type, name});
    if (it == ids_.end() || !it->second)
        throw InputError("P4Runtime id of '" + name + "' asked before it was assigned");
    return *it->second;
}

std::string p4runtime_alias(const std::string& name, const std::vector<std::string>& all) {
    std::vector<std::string> mine = split_dots(name);
    std::set<std::vector<std::string>> others;
    for (const auto& n : all)
        if (n != name)
            others.insert(split_dots(n));
    // The fewest trailing components no other name ends with.
    for (size_t k = 1; k <= mine.size(); ++k) {
        bool shared = false;
        for (const auto& o : others) {
            if (o.size() < k)
                continue;
            if (std::equal(mine.end() - static_cast<long>(k), mine.end(),
                           o.end() - static_cast<long>(k))) {
                shared = true;
                break;
            }
        }
        if (!shared || k == mine.size()) {
            std::string out;
            for (size_t i = mine.size() - k; i < mine.size(); ++i)
                out += (out.empty() ? "" : ".") + mine[i];
            return out;
        }
    }
    return name;
}

}  // namespace chima::p4
