#!/usr/bin/env bash
# The whole loop on the paper's medium scenario (see lib/relocation.bash).
scenario=medium
source "$(dirname "${BASH_SOURCE[0]}")/lib/relocation.bash"
