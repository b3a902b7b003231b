// widen: one space between consecutive characters, forwards, returns the next's answer.
#include "transforms.hpp"
#include "udp_function.hpp"

int main(int argc, char** argv) {
    return chima::fn::run_function("widen", argc, argv, chima::fn::widen);
}
