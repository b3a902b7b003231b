#!/usr/bin/env bash
# The whole loop on the paper's minimal scenario (see lib/relocation.bash).
scenario=minimal
source "$(dirname "${BASH_SOURCE[0]}")/lib/relocation.bash"
