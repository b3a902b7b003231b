# Clean-up on exit for scripts under `set -euo pipefail`: sourced by tests/, scripts/,
# examples/paper and bench/ scripts.
#   cleanup_add 'COMMAND'   registers a step (evaluated on exit, so variables expand late)
# On exit -- the end of the script, `exit N`, a failed command, Ctrl-C or SIGTERM -- the
# script's background jobs are stopped first (a capture, a collector, a watch that would
# restart what the next steps remove), then the steps run last registered first, each to
# its end whatever fails inside it (errexit, nounset and pipefail are off there, and `fail`
# only reports; `wait` on a killed job returning 143 is harmless), and the script exits with
# the status it had before: a cleanup never decides the result.
_cleanup_steps=()
cleanup_add() { _cleanup_steps+=("$1"); }
_cleanup_run() {
    local status=$? i
    trap - EXIT INT TERM
    # Nothing may end the cleanup early: not errexit, not an unset variable in a step, not
    # a step that calls the tests' `fail` (it only reports from here on). Steps run in this
    # shell, so they can still wait for its background jobs.
    set +euo pipefail
    fail() { echo "FAIL (during cleanup): $*"; }
    _cleanup_jobs
    for ((i = ${#_cleanup_steps[@]} - 1; i >= 0; i--)); do
        eval "${_cleanup_steps[i]}"
    done
    exit "$status"
}
# SIGTERM to the script's background jobs; those still there after 5 s get SIGKILL, so a
# job that ignores or handles SIGTERM slowly never hangs the cleanup.
_cleanup_jobs() {
    local pids pid i alive
    pids=$(jobs -p)
    [ -z "$pids" ] && return 0
    kill $pids 2>/dev/null
    for ((i = 0; i < 50; i++)); do
        alive=0
        for pid in $pids; do
            kill -0 "$pid" 2>/dev/null && alive=1
        done
        [ "$alive" -eq 0 ] && break
        sleep 0.1
    done
    kill -KILL $pids 2>/dev/null
    wait $pids 2>/dev/null
    return 0
}
trap _cleanup_run EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
