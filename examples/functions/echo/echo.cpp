// echo: the chain's last function; answers its caller with "echo: " + the message.
#include "transforms.hpp"
#include "udp_function.hpp"

int main(int argc, char** argv) {
    return chima::fn::run_function("echo", argc, argv, chima::fn::echo_reply);
}
