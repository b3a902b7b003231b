#!/usr/bin/env bash
# The whole loop on the paper's minimal scenario (see lib/relocation.bash).
scenario=minimal
follow_up=1  # and a second degradation, on the new rail, is seen too
loop_once=0  # chima-relocate keeps running: the loop follows the new deployment
loop_relocate_args=(-v)  # containers through chima-relocate's podman API service
source "$(dirname "${BASH_SOURCE[0]}")/lib/relocation.bash"
