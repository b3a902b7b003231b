#!/usr/bin/env bash
# The whole loop on the paper's medium scenario (see lib/relocation.bash).
scenario=medium
loop_relocate_args=(-v --podman-cli)  # one podman process per container operation
source "$(dirname "${BASH_SOURCE[0]}")/lib/relocation.bash"
