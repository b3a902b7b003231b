# Table-driven checks of how a tool answers bad input, for tests/cli/*.sh (no root needed:
# each tool validates its input before it touches anything). Sourcing it sets
# `set -euo pipefail`, bin (the tools), ex (examples/minimal), tmp (a scratch directory
# removed on exit) and fail MSG, and defines
#
#   expect_table TOOL <<'ROWS'
#   # exit | message on stderr              | arguments
#   2      | --delay: expected a duration   | perturb "$ex/topology.yaml" s0-s1 --delay soon
#   ROWS
#
# Every row runs TOOL with its arguments (shell words, expanded when the row runs, so $tmp
# and quotes work) and stdin from /dev/null: it must exit with the row's status, and its
# stderr must hold a line "TOOL: error: ..." with the row's message in it (a fixed string). Blank lines and
# lines starting with # are skipped. All rows run; the failed ones are listed, then exit 1.
set -euo pipefail
bin=${CHIMA_BIN:?}
ex=${CHIMA_ROOT:?}/examples/minimal
source "$CHIMA_ROOT/scripts/lib/cleanup.bash"
tmp=$(mktemp -d)
cleanup_add 'rm -rf "$tmp"'
fail() { echo "FAIL: $*"; exit 1; }

expect_table() {
    local tool=$1 code message args status failed=0 rows=0
    while IFS='|' read -r code message args; do
        code=$(sed "s/^ *//; s/ *$//" <<<"$code")
        [ -z "$code" ] || [ "${code:0:1}" = "#" ] && continue
        message=$(sed 's/^ *//; s/ *$//' <<<"$message")
        rows=$((rows + 1))
        status=0
        eval "\"\$bin/\$tool\" $args" </dev/null >"$tmp/out" 2>"$tmp/err" || status=$?
        if [ "$status" -ne "$code" ]; then
            echo "FAIL: $tool$args: exit $status, expected $code: $(head -3 "$tmp/err")"
            failed=$((failed + 1))
        elif ! grep -F -- "$tool: error: " "$tmp/err" | grep -qF -- "$message"; then
            echo "FAIL: $tool$args: stderr lacks '$message': $(head -3 "$tmp/err")"
            failed=$((failed + 1))
        fi
    done
    [ "$rows" -gt 0 ] || fail "expect_table $tool: no rows"
    [ "$failed" -eq 0 ] || fail "$failed of $rows rows of $tool"
    echo "$tool: $rows bad inputs answered as expected"
}
