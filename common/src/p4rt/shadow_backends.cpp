// The backends of a config that has no switch behind it yet (VERIFY_AND_SAVE until COMMIT):
// tables and cells in memory, with the same checks as the maps they will be realised in, so
// a write that would not fit is refused when it is made, not when it is replayed.
#include <set>

#include "model.hpp"
#include "table_entry.hpp"

namespace chima::p4rt::detail {

namespace {

class ShadowTable : public TableBackend {
  public:
    ShadowTable(std::shared_ptr<TableBackend> real, MaskOf mask_of, int64_t max_masks)
        : real_(std::move(real)), mask_of_(std::move(mask_of)), max_masks_(max_masks) {}

    void check(const TableInfo& t, const EntryValue& e) const override { real_->check(t, e); }
    std::string plane_key(const TableInfo& t, const EntryValue& e) const override {
        return real_->plane_key(t, e);
    }
    // A ternary function table has max_masks mask slots: room while the masks in use,
    // this entry's included, are no more.
    bool has_room(const TableInfo& t, const EntryValue& e) const override {
        if (!mask_of_)
            return true;
        std::set<std::string> masks;
        for (const auto& [key, mask] : masks_)
            masks.insert(mask);
        masks.insert(mask_of_(t, e));
        return static_cast<int64_t>(masks.size()) <= max_masks_;
    }
    void put(const TableInfo& t, const EntryValue& e) override {
        if (mask_of_)
            masks_[entry_key(e)] = mask_of_(t, e);
    }
    void erase(const TableInfo&, const EntryValue& e) override { masks_.erase(entry_key(e)); }
    int64_t capacity() const override { return real_->capacity(); }

  private:
    std::shared_ptr<TableBackend> real_;
    MaskOf mask_of_;
    int64_t max_masks_;
    std::map<std::string, std::string> masks_;  // entry key -> its mask
};

// A cell nobody wrote reads zero: the saved config has counted nothing yet.
template <typename Base, typename Value>
class ShadowCells : public Base {
  public:
    explicit ShadowCells(int64_t size) : size_(size) {}
    int64_t size() const override { return size_; }
    Value get(int64_t index) const override {
        auto it = cells_.find(index);
        return it == cells_.end() ? Value{} : it->second;
    }
    void store(int64_t index, const Value& value) { cells_[index] = value; }
    std::vector<int64_t> written() const override {
        std::vector<int64_t> out;
        for (const auto& [index, value] : cells_)
            out.push_back(index);
        return out;
    }

  protected:
    int64_t size_;
    std::map<int64_t, Value> cells_;
};

class ShadowCounter : public ShadowCells<CounterBackend, ::p4::v1::CounterData> {
  public:
    using ShadowCells::ShadowCells;
    void set(int64_t index, const ::p4::v1::CounterData& data) override { store(index, data); }
};

class ShadowRegister : public ShadowCells<RegisterBackend, uint64_t> {
  public:
    using ShadowCells::ShadowCells;
    void set(int64_t index, uint64_t value) override { store(index, value); }
};

}  // namespace

std::shared_ptr<TableBackend> shadow_table(std::shared_ptr<TableBackend> real, MaskOf mask_of,
                                           int64_t max_masks) {
    return std::make_shared<ShadowTable>(std::move(real), std::move(mask_of), max_masks);
}

std::shared_ptr<CounterBackend> shadow_counter(int64_t size) {
    return std::make_shared<ShadowCounter>(size);
}

std::shared_ptr<RegisterBackend> shadow_register(int64_t size) {
    return std::make_shared<ShadowRegister>(size);
}

}  // namespace chima::p4rt::detail
