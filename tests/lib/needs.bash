# needs PROGRAM...: a test that cannot run without these programs skips (exit 77, which ctest
# shows as skipped) where one is missing -- but fails under CI (CI=true), which installs them
# all (scripts/setup.sh), so that a broken set-up cannot pass as skipped tests.
needs() {
    local program
    for program in "$@"; do
        command -v "$program" >/dev/null && continue
        if [ "${CI:-}" = true ]; then
            echo "FAIL: $program is not installed, and CI installs it (scripts/setup.sh)"
            exit 1
        fi
        echo "skipped: $program is not installed"
        exit 77
    done
}
