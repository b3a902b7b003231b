#include "function_backends.hpp"

#include "chima/error.hpp"

namespace chima::p4rt::detail {

namespace {

using nlohmann::json;

class FunctionTable : public TableBackend {
  public:
    FunctionTable(std::shared_ptr<bpf::SlotMaps> maps, json p4info, json table,
                  std::map<uint32_t, std::string> actions)
        : maps_(std::move(maps)),
          p4info_(std::move(p4info)),
          table_(std::move(table)),
          actions_(std::move(actions)) {}

    void check(const TableInfo&, const EntryValue&) const override {}
    bool has_room(const TableInfo& t, const EntryValue& e) const override {
        return maps_->has_mask_slot(p4info_, entry_spec(table_, actions_, t, e));
    }
    void put(const TableInfo& t, const EntryValue& e) override {
        maps_->write_entry(p4info_, entry_spec(table_, actions_, t, e));
    }
    void erase(const TableInfo& t, const EntryValue& e) override {
        maps_->delete_entry(p4info_, entry_spec(table_, actions_, t, e));
    }
    int64_t capacity() const override { return table_.at("size").get<int64_t>(); }

  private:
    std::shared_ptr<bpf::SlotMaps> maps_;
    json p4info_;
    json table_;
    std::map<uint32_t, std::string> actions_;
};

class FunctionCounter : public CounterBackend {
  public:
    FunctionCounter(std::shared_ptr<bpf::SlotMaps> maps, const json& counter)
        : maps_(std::move(maps)),
          map_(counter.at("map").get<std::string>()),
          size_(std::max<int64_t>(1, counter.at("size").get<int64_t>())) {}
    int64_t size() const override { return size_; }
    ::p4::v1::CounterData get(int64_t index) const override {
        auto [packets, bytes] = maps_->counter(map_, static_cast<uint32_t>(index));
        ::p4::v1::CounterData d;
        d.set_packet_count(static_cast<int64_t>(packets & 0x7fffffffffffffffull));
        d.set_byte_count(static_cast<int64_t>(bytes & 0x7fffffffffffffffull));
        return d;
    }
    void set(int64_t index, const ::p4::v1::CounterData& d) override {
        maps_->set_counter(map_, static_cast<uint32_t>(index),
                           static_cast<uint64_t>(d.packet_count()),
                           static_cast<uint64_t>(d.byte_count()));
    }

  private:
    std::shared_ptr<bpf::SlotMaps> maps_;
    std::string map_;
    int64_t size_;
};

class FunctionRegister : public RegisterBackend {
  public:
    FunctionRegister(std::shared_ptr<bpf::SlotMaps> maps, const json& reg)
        : maps_(std::move(maps)),
          map_(reg.at("map").get<std::string>()),
          value_size_(reg.at("value_size").get<int>()),
          size_(std::max<int64_t>(1, reg.at("size").get<int64_t>())) {}
    int64_t size() const override { return size_; }
    uint64_t get(int64_t index) const override {
        return maps_->register_cell(map_, static_cast<uint32_t>(index), value_size_);
    }
    void set(int64_t index, uint64_t value) override {
        maps_->set_register_cell(map_, static_cast<uint32_t>(index), value_size_, value);
    }

  private:
    std::shared_ptr<bpf::SlotMaps> maps_;
    std::string map_;
    int value_size_;
    int64_t size_;
};

}  // namespace

p4::EntrySpec entry_spec(const json& table, const std::map<uint32_t, std::string>& actions,
                         const TableInfo& info, const EntryValue& e) {
    p4::EntrySpec spec;
    spec.table = table.at("name");
    spec.action = actions.at(e.action_id);
    spec.params = e.params;
    spec.priority = static_cast<uint32_t>(e.priority);
    // P4Info match fields are in the P4 key order, as EntrySpec wants them.
    for (size_t i = 0; i < info.fields.size(); ++i) {
        const FieldValue& f = e.fields[i];
        p4::KeyMatch m;
        if (!f.present) {
            m.wildcard = true;
        } else {
            m.value = f.value;
            if (info.fields[i].kind == MatchKind::Ternary)
                m.mask = f.mask;
            if (info.fields[i].kind == MatchKind::Lpm)
                m.prefix_len = f.prefix_len;
        }
        spec.keys.push_back(m);
    }
    return spec;
}

std::shared_ptr<TableBackend> function_table_backend(std::shared_ptr<bpf::SlotMaps> maps,
                                                     const json& p4info, const json& table,
                                                     std::map<uint32_t, std::string> actions) {
    return std::make_shared<FunctionTable>(std::move(maps), p4info, table, std::move(actions));
}

std::shared_ptr<TableBackend> function_table_shadow(const json& p4info, const json& table,
                                                    std::map<uint32_t, std::string> actions) {
    MaskOf mask_of;
    if (table.contains("masks_map"))
        mask_of = [p4info, table, actions](const TableInfo& t, const EntryValue& e) {
            std::vector<uint8_t> mask =
                p4::encode_entry(p4info, entry_spec(table, actions, t, e)).mask;
            return std::string(mask.begin(), mask.end());
        };
    return shadow_table(function_table_backend(nullptr, p4info, table, std::move(actions)),
                        std::move(mask_of), table.value("max_masks", int64_t{0}));
}

std::shared_ptr<CounterBackend> function_counter_backend(std::shared_ptr<bpf::SlotMaps> maps,
                                                         const json& counter) {
    return std::make_shared<FunctionCounter>(std::move(maps), counter);
}

std::shared_ptr<RegisterBackend> function_register_backend(std::shared_ptr<bpf::SlotMaps> maps,
                                                           const json& reg) {
    return std::make_shared<FunctionRegister>(std::move(maps), reg);
}

}  // namespace chima::p4rt::detail
