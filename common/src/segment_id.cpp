#include "chima/segment_id.hpp"

#include "chima/error.hpp"

namespace chima {

namespace {
void check_arg(uint32_t arg, uint32_t min, const char* what) {
    if (arg < min || arg > CHIMA_SID_ARG_MAX) {
        throw InputError(std::string(what) + " " + std::to_string(arg) +
                         " does not fit a SID argument (" + std::to_string(min) + ".." +
                         std::to_string(CHIMA_SID_ARG_MAX) + ")");
    }
}
}  // namespace

SegmentId SegmentId::function(uint32_t slot) {
    check_arg(slot, 0, "function slot");
    return {SidKind::Function, slot};
}

SegmentId SegmentId::adjacency(uint32_t port) {
    check_arg(port, 0, "port");
    return {SidKind::Adjacency, port};
}

SegmentId SegmentId::int_to_host() { return {SidKind::IntToHost, 0}; }

SegmentId SegmentId::function_end(uint32_t function_id) {
    check_arg(function_id, 1, "container function id");
    return {SidKind::FunctionEnd, function_id};
}

SegmentId SegmentId::decode(uint32_t label) {
    if (label >= (1u << CHIMA_LABEL_BITS)) {
        throw InputError("label " + std::to_string(label) + " is wider than 20 bits");
    }
    uint32_t arg = chima_sid_arg(label);
    switch (chima_sid_block(label)) {
        case CHIMA_SID_BLOCK_FUNCTION:
            return {SidKind::Function, arg};
        case CHIMA_SID_BLOCK_ADJACENCY:
            return {SidKind::Adjacency, arg};
        case CHIMA_SID_BLOCK_INT:
            return arg == 0 ? SegmentId{SidKind::IntToHost, 0}
                            : SegmentId{SidKind::FunctionEnd, arg};
        default:
            throw InputError("label " + std::to_string(label) + " is not in a CHIMA SID block");
    }
}

uint32_t SegmentId::label() const {
    switch (kind_) {
        case SidKind::Function:
            return CHIMA_SID_FUNCTION_BASE | arg_;
        case SidKind::Adjacency:
            return CHIMA_SID_ADJACENCY_BASE | arg_;
        case SidKind::IntToHost:
            return CHIMA_SID_INT_TO_HOST;
        case SidKind::FunctionEnd:
            return CHIMA_SID_INT_BASE | arg_;
    }
    return 0;
}

const char* SegmentId::kind_name(SidKind kind) {
    switch (kind) {
        case SidKind::Function:
            return "function";
        case SidKind::Adjacency:
            return "adjacency";
        case SidKind::IntToHost:
            return "int-to-host";
        case SidKind::FunctionEnd:
            return "function-end";
    }
    return "?";
}

std::string SegmentId::str() const {
    if (kind_ == SidKind::IntToHost) return kind_name(kind_);
    return std::string(kind_name(kind_)) + ":" + std::to_string(arg_);
}

}  // namespace chima
