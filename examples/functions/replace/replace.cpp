// replace: A->4, E->3, I->1, O->0, forwards to the next function, returns its answer.
#include "transforms.hpp"
#include "udp_function.hpp"

int main(int argc, char** argv) {
    return chima::fn::run_function("replace", argc, argv, chima::fn::replace_vowels);
}
