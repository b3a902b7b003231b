// toupper: upper-cases the message, forwards it to the next function, returns its answer.
#include "transforms.hpp"
#include "udp_function.hpp"

int main(int argc, char** argv) {
    return chima::fn::run_function("toupper", argc, argv, chima::fn::to_upper);
}
