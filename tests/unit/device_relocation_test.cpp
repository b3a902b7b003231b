// Relocation, install and routing against devices in memory (device::memory_devices): the
// order of make before break, what a failed relocation undoes, and that only what changes is
// touched. No root: the journal of device operations is what is checked.
#include "device_lab.hpp"

TEST_CASE(
    "device relocation: new slots and containers serve before the stacks switch, "
    "the old ones go after") {
    Deployment d = minimal();
    Deployment next = off_the_odd_rail(d);
    Lab lab(d);
    Installed before = load_installed(lab.files.installed);

    relocate::apply_relocation(d, next, lab.files, *lab.devices);

    const auto& j = lab.journal;
    long first_switch = j.index_of("* set_flow"), last_switch = j.last_index_of("* set_flow");
    REQUIRE(first_switch >= 0);
    // Make: each kind of preparation happened, all of it before the first stack changed.
    for (std::string op : {"load", "netns", "start", "port", "prefix_route", "neighbours"}) {
        CAPTURE(op);
        CHECK(j.index_of("* " + op) >= 0);
        CHECK(j.last_index_of("* " + op) < first_switch);
    }
    // Break: the old instances and slots, all of them after the last stack changed.
    for (std::string op : {"stop", "remove_netns", "clear"}) {
        CAPTURE(op);
        CHECK(j.index_of("* " + op) > last_switch);
    }
    // Exactly the old ones go: the instances and slots the previous installed.json recorded.
    std::set<std::string> old_instances, stopped, old_slots, cleared;
    for (const auto& f : before.functions) {
        if (f.type == FunctionType::Container)
            old_instances.insert(f.node + " " + f.container.instance);
        else
            old_slots.insert(f.node + " " + std::to_string(f.p4.slot));
    }
    for (const auto& e : j.matching("* stop "))
        stopped.insert(target(e));
    for (const auto& e : j.matching("* clear "))
        cleared.insert(target(e));
    CHECK(stopped == old_instances);
    CHECK(cleared == old_slots);
    // The new deployment is what serves afterwards.
    for (const auto& f : next.functions) {
        CAPTURE(f.spec.name);
        if (f.spec.type == FunctionType::P4)
            CHECK(lab.switch_of(f.node).slots().count(f.slot) == 1);
        else
            CHECK(lab.host_of(f.node).running().count(deploy::instance_name(kNet, f, "-b")) == 1);
    }
    for (const auto& f : next.flows)
        CHECK(lab.host_of(f.pusher).flow(f.src_ip, f.dst_ip) == f.stack);
}

TEST_CASE("device relocation: a failure at any step undoes what was started, nothing else") {
    Deployment d = minimal();
    Deployment next = off_the_odd_rail(d);
    const auto& last = next.flows.back();
    std::string last_stack =
        last.pusher + " set_flow " + last.src_ip.str() + ">" + last.dst_ip.str();
    // Each step of the relocation, in the order they run; the last: a stack switch half done.
    for (std::string failing :
         std::vector<std::string>{"* load", "* netns", "* start", "* port", "* prefix_route",
                                  "* neighbours", "* set_flow", last_stack}) {
        CAPTURE(failing);
        Lab lab(d);
        Serving before = serving(lab, {&d, &next});
        std::string installed = text(lab.files.installed), routes = text(lab.files.routes);

        lab.journal.fail_next(failing);
        CHECK_THROWS_AS(relocate::apply_relocation(d, next, lab.files, *lab.devices), RuntimeError);

        // The old deployment serves as before; its state files are untouched.
        CHECK(serving(lab, {&d, &next}) == before);
        CHECK(text(lab.files.installed) == installed);
        CHECK(text(lab.files.routes) == routes);
        // Nothing of the old deployment was taken down, and every slot emptied was one this
        // relocation (tried to) load.
        Installed old = installed_from_json(json::parse(installed), lab.files.installed);
        for (const InstalledFunction* f : old.of_type(FunctionType::Container)) {
            CHECK(lab.journal.matching(f->node + " stop " + f->container.instance).empty());
            CHECK(lab.journal.matching(f->node + " remove_netns " + f->container.netns).empty());
        }
        auto entries = lab.journal.entries();
        for (size_t i = 0; i < entries.size(); ++i) {
            if (operation(entries[i]) != "clear")
                continue;
            CAPTURE(entries[i]);
            bool loaded_here = false;
            for (size_t k = 0; k < i; ++k) {
                loaded_here =
                    loaded_here || (operation(entries[k]) == "load" &&
                                    target(entries[k]).rfind(target(entries[i]) + " ", 0) == 0);
            }
            CHECK(loaded_here);
        }
    }
}

TEST_CASE("device relocation: an unchanged function or flow gets no operation") {
    Deployment d = minimal();
    Deployment next = echo_moved(d);
    Lab lab(d);
    relocate::apply_relocation(d, next, lab.files, *lab.devices);
    const auto& j = lab.journal;

    size_t kept = 0, moved = 0;
    for (const auto& f : next.functions) {
        CAPTURE(f.spec.name);
        const PlacedFunction* old = d.find_function(f.chain, f.spec.name);
        REQUIRE(old);
        std::string instance = deploy::instance_name(kNet, f);
        bool same = old->node == f.node && old->slot == f.slot;
        (same ? kept : moved)++;
        if (f.spec.type == FunctionType::P4) {
            std::string slot = std::to_string(f.slot);
            CHECK(j.matching(f.node + " load " + slot + " ").size() == (same ? 0 : 1));
            // The old slot is emptied unless another function of `next` took it.
            bool reused = false;
            for (const auto& g : next.functions)
                reused = reused || (g.spec.type == FunctionType::P4 && g.node == old->node &&
                                    g.slot == old->slot);
            CHECK(j.matching(old->node + " clear " + std::to_string(old->slot)).size() ==
                  (same || reused ? 0 : 1));
        } else {
            CHECK(j.matching("* start " + instance).size() == (same ? 0 : 1));
            CHECK(j.matching("* stop " + instance).size() == (same ? 0 : 1));
            CHECK(j.matching("* netns " + f.netns()).size() == (same ? 0 : 1));
        }
    }
    CHECK(kept > 0);
    CHECK(moved > 0);

    size_t changed = 0;
    for (const auto& f : next.flows) {
        const Flow* old = nullptr;
        for (const auto& o : d.flows)
            if (o.pusher == f.pusher && o.src_ip == f.src_ip && o.dst_ip == f.dst_ip)
                old = &o;
        bool same = old && old->stack == f.stack;
        changed += same ? 0 : 1;
        CHECK(j.matching(f.pusher + " set_flow " + f.src_ip.str() + ">" + f.dst_ip.str() + " ")
                  .size() == (same ? 0 : 1));
    }
    CHECK(j.matching("* set_flow").size() == changed);
}

TEST_CASE("device install: installing and routing the same deployment again changes nothing") {
    Deployment d = minimal();
    Lab lab(d);
    lab.install(d);
    for (std::string op :
         {"load", "clear", "netns", "start", "stop", "set_flow", "delete_flow", "unwatch"}) {
        CAPTURE(op);
        CHECK(lab.journal.matching("* " + op).empty());
    }
    CHECK_FALSE(lab.journal.matching("* prefix_route").empty());  // forwarding is rewritten
}
