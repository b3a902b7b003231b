#!/usr/bin/env bash
# A dead function is an availability violation: podman kill of the chain's echo container
# with a request every 20 ms. The loop's health watch reports the exit, chima-watch names
# echo, chima-relocate starts it again (--on-exit restart, the default), and the chain
# answers again (see lib/faults.bash).
source "$(dirname "${BASH_SOURCE[0]}")/lib/faults.bash"
instance=$(jq -r '.functions[] | select(.name == "echo") | .instance' "$state/installed.json")
[ -n "$instance" ] && [ "$instance" != null ] || fail "no echo instance in installed.json"
fault_inject podman kill "$instance"
fault_expect availability '.worst.function == "echo"'
fault_relocated
fresh=$(jq -r '.functions[] | select(.name == "echo") | .instance' "$state/installed.json")
[ "$(podman inspect -f '{{.State.Running}}' "$fresh" 2>/dev/null)" = true ] \
    || fail "echo ($fresh) is not running after the relocation"
fault_answering
fault_timed
echo "fault container killed: ok"
