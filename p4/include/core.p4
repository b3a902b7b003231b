/* core.p4 for chima-compile: the P4-16 core library declarations its front end needs.
 * A minimal subset written for CHIMA (not the p4lang file): errors, match kinds, NoAction,
 * packet_in/packet_out for whole programs. For chima-compile's front end only, which
 * includes every file once (its include guard): p4c is never given this directory, and
 * compiles p4/chima.p4 and the merged programs with its own core.p4. */

error {
    NoError,
    PacketTooShort,
    NoMatch,
    StackOutOfBounds,
    HeaderTooShort,
    ParserTimeout,
    ParserInvalidArgument
}

extern packet_in {
    void extract<T>(out T hdr);
    T lookahead<T>();
    void advance(in bit<32> sizeInBits);
    bit<32> length();
}

extern packet_out {
    void emit<T>(in T hdr);
}

extern void verify(in bool check, in error toSignal);

action NoAction() {}

match_kind {
    exact,
    ternary,
    lpm
}
