// The call graph of a checked program: actions that call actions (and apply tables, whose
// actions the back end inlines), and controls or parsers that instantiate controls or
// parsers. A cycle is refused (E0315), naming it: the back end inlines every call, so a
// recursive action would never end, nor would the instantiation of a recursive control.
// In function mode the inlined result is bounded too (p4/limits.hpp): its number of action
// bodies (E0602, so that call fan-out cannot grow the code exponentially) and the nesting
// of the inlined blocks (E0600). Every walk here is iterative over the graph, and its
// recursion over one body is bounded by the parser's limits.
#include <algorithm>
#include <map>
#include <vector>

#include "checker_impl.hpp"
#include "chima/p4/limits.hpp"

namespace chima::p4::checking {

namespace {

// A place in a body where other bodies are inlined or instantiated.
struct Site {
    std::vector<const Decl*> callees;  // an action; a table's actions; a control or parser
    Loc loc;
    int depth = 0;  // nesting of the site inside its body
};

struct Node {
    const Decl* decl = nullptr;
    std::vector<Site> sites;
    int body_depth = 0;  // deepest nesting of the body itself
    enum class Mark { New, Open, Done } mark = Mark::New;
    std::uint64_t inlined = 0;  // action bodies inlined into this body, saturated
    int nesting = 0;            // nesting once inlined, saturated
    bool over_limit = false;    // a limit was reported for this body or one it inlines
};

// The actions a table apply inlines: each listed action and the default action again.
std::vector<const Decl*> table_actions(const Decl& table) {
    std::vector<const Decl*> out;
    for (const auto& a : table.actions)
        if (a.decl)
            out.push_back(a.decl);
    if (table.default_action && table.default_action->decl &&
        table.default_action->decl->kind == DeclKind::Action)
        out.push_back(table.default_action->decl);
    return out;
}

class BodyWalk {
  public:
    explicit BodyWalk(Node& n) : n_(n) {}

    void stmt(const Stmt& s, int depth) {
        n_.body_depth = std::max(n_.body_depth, depth);
        switch (s.kind) {
            case StmtKind::Block:
                for (const auto& c : s.stmts)
                    stmt(*c, c->kind == StmtKind::Block ? depth + 1 : depth);
                break;
            case StmtKind::If:
                expr(*s.rhs, depth);
                stmt(*s.then_s, depth + 1);
                if (s.else_s)
                    stmt(*s.else_s, depth + 1);
                break;
            case StmtKind::Switch:
                expr(*s.rhs, depth);
                for (const auto& c : s.cases)
                    if (c.body)
                        stmt(*c.body, depth + 1);
                break;
            case StmtKind::Var:
            case StmtKind::Const:
                if (s.decl && s.decl->init)
                    expr(*s.decl->init, depth);
                break;
            default:
                if (s.lhs)
                    expr(*s.lhs, depth);
                if (s.rhs)
                    expr(*s.rhs, depth);
                break;
        }
    }

    void expr(const Expr& e, int depth) {
        for (const auto& k : e.kids)
            expr(*k, depth);
        if (e.kind != ExprKind::Call || !e.decl)
            return;
        if (e.sym == SymKind::Action && e.decl->kind == DeclKind::Action) {
            n_.sites.push_back({{e.decl}, e.loc, depth});
        } else if (e.name == "apply_result" && e.decl->kind == DeclKind::Table) {
            n_.sites.push_back({table_actions(*e.decl), e.loc, depth});
        }
    }

  private:
    Node& n_;
};

std::string kind_of(const Decl& d) {
    return d.kind == DeclKind::Action   ? "action"
           : d.kind == DeclKind::Parser ? "parser"
                                        : "control";
}

}  // namespace

void Checker::check_call_graph() {
    std::map<const Decl*, Node> nodes;
    std::vector<const Decl*> order;  // declaration order, for a stable report
    auto add = [&](const Decl& d) -> Node& {
        Node& n = nodes[&d];
        if (!n.decl) {
            n.decl = &d;
            order.push_back(&d);
        }
        return n;
    };
    for (const auto& d : prog_.decls) {
        if (d->kind == DeclKind::Action && d->body) {
            BodyWalk(add(*d)).stmt(*d->body, 1);
        } else if (d->kind == DeclKind::Control || d->kind == DeclKind::Parser) {
            Node& n = add(*d);
            for (const auto& l : d->locals) {
                if (l->kind == DeclKind::Action && l->body) {
                    BodyWalk(add(*l)).stmt(*l->body, 1);
                } else if (l->kind == DeclKind::Instance && l->resolved_type.decl &&
                           (l->resolved_type.kind == Type::Kind::Control ||
                            l->resolved_type.kind == Type::Kind::Parser)) {
                    // Instances are not inlined by the back end: only their cycles count.
                    n.sites.push_back({{l->resolved_type.decl}, l->loc, -1});
                } else if (l->kind == DeclKind::State && l->body) {
                    BodyWalk(n).stmt(*l->body, 1);
                }
            }
            if (d->body)
                BodyWalk(n).stmt(*d->body, 1);
        }
    }

    // Depth-first over the graph with an explicit stack; a callee still open closes a cycle.
    // `finished` is the post-order, callees before callers.
    struct Frame {
        Node* node;
        size_t site = 0, callee = 0;
    };
    std::vector<Node*> finished;
    bool cycle = false;
    for (const Decl* root : order) {
        if (nodes[root].mark != Node::Mark::New)
            continue;
        std::vector<Frame> stack{{&nodes[root]}};
        nodes[root].mark = Node::Mark::Open;
        while (!stack.empty()) {
            Frame& f = stack.back();
            if (f.site == f.node->sites.size()) {
                f.node->mark = Node::Mark::Done;
                finished.push_back(f.node);
                stack.pop_back();
                continue;
            }
            const Site& site = f.node->sites[f.site];
            if (f.callee == site.callees.size()) {
                ++f.site;
                f.callee = 0;
                continue;
            }
            const Decl* callee = site.callees[f.callee++];
            auto it = nodes.find(callee);
            if (it == nodes.end())
                continue;  // a declaration without a body (an extern, a control type)
            Node& c = it->second;
            if (c.mark == Node::Mark::New) {
                c.mark = Node::Mark::Open;
                stack.push_back({&c});
            } else if (c.mark == Node::Mark::Open) {
                cycle = true;
                std::string path;
                auto from = std::find_if(stack.begin(), stack.end(),
                                         [&](const Frame& s) { return s.node == &c; });
                for (auto s = from; s != stack.end(); ++s)
                    path += s->node->decl->name + " -> ";
                path += c.decl->name;
                err(site.loc, DiagCode::Recursion,
                    site.depth < 0 ? "recursive instantiation: " + kind_of(*c.decl) + " '" +
                                         c.decl->name + "' contains itself through " + path
                                   : "recursive call: " + kind_of(*c.decl) + " '" + c.decl->name +
                                         "' calls itself through " + path);
            }
        }
    }
    if (cycle || !subset_.active())
        return;

    // Function mode: what inlining makes of each body, callees first.
    for (Node* n : finished) {
        n->nesting = n->body_depth;
        for (const Site& site : n->sites) {
            if (site.depth < 0)
                continue;
            for (const Decl* callee : site.callees) {
                auto it = nodes.find(callee);
                const Node* c = it == nodes.end() ? nullptr : &it->second;
                std::uint64_t bodies = 1 + (c ? c->inlined : 0);
                int nesting = site.depth + 1 + (c ? c->nesting : 0);
                n->inlined = std::min(n->inlined + bodies, kMaxInlinedBodies + 1);
                n->nesting = std::min(std::max(n->nesting, nesting), kMaxNesting + 1);
                if (c && c->over_limit) {
                    n->over_limit = true;  // reported where the callee went over
                    continue;
                }
                if (n->over_limit)
                    continue;
                if (n->inlined > kMaxInlinedBodies) {
                    n->over_limit = true;
                    err(site.loc, DiagCode::TooManyInlined,
                        kind_of(*n->decl) + " '" + n->decl->name + "' inlines more than " +
                            std::to_string(kMaxInlinedBodies) +
                            " action bodies here (each call of an action, each action of an "
                            "applied table, counted through nested calls)");
                } else if (n->nesting > kMaxNesting) {
                    n->over_limit = true;
                    err(site.loc, DiagCode::NestingTooDeep,
                        "blocks nest deeper than " + std::to_string(kMaxNesting) +
                            " levels once the action bodies called here are inlined");
                }
            }
        }
    }
}

}  // namespace chima::p4::checking
