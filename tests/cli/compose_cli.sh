#!/usr/bin/env bash
# chima-compose as a user runs it: JSON on stdout, -o written atomically, bad input exits 2
# with file:line:col and leaves an existing output file untouched.
set -euo pipefail
bin=${CHIMA_BIN:?}/chima-compose
ex=${CHIMA_ROOT:?}/examples/minimal
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin" -q "$ex/topology.yaml" "$ex/service.yaml" "$ex/placement.yaml" > "$tmp/out.json"
jq -e '.kind == "chima.deployment" and (.flows | length) == 4 and (.sections | length) == 2' "$tmp/out.json" >/dev/null
jq -e '[.functions[] | .node] == ["s1", "d1", "s3", "d3"]' "$tmp/out.json" >/dev/null

"$bin" -q "$ex/topology.yaml" "$ex/service.yaml" "$ex/placement.yaml" -o "$tmp/dep.json"
cmp <(jq -S . "$tmp/out.json") <(jq -S . "$tmp/dep.json")
before=$(sha256sum "$tmp/dep.json")

set +e
"$bin" "$ex/topology.yaml" "${CHIMA_ROOT}/tests/data/bad/service-unknown-next.yaml" -o "$tmp/dep.json" 2> "$tmp/err"
code=$?
set -e
[ "$code" -eq 2 ] || { echo "expected exit 2, got $code"; exit 1; }
grep -q "service-unknown-next.yaml:12:11: function 'changettl': unknown next 'toupperr'" "$tmp/err"
grep -q "^chima-compose: error: " "$tmp/err"
[ "$(sha256sum "$tmp/dep.json")" = "$before" ] || { echo "bad input changed the output file"; exit 1; }
[ -z "$(ls -A "$tmp" | grep '\.tmp')" ] || { echo "temporary file left behind"; exit 1; }

# Usage errors exit 2 too; --help exits 0 and documents the flags.
set +e
"$bin" 2>/dev/null; code=$?
set -e
[ "$code" -eq 2 ]
"$bin" --help | grep -q -- "--legacy"

# Legacy import of the prototype's files.
"$bin" -q "$ex/topology.yaml" --legacy "${CHIMA_ROOT}/tests/data/legacy/minimal/service.yaml" \
    "${CHIMA_ROOT}/tests/data/legacy/minimal/dep.yaml" | jq -e '.chains[0].name == "minimal"' >/dev/null
echo "compose cli: ok"
