#!/usr/bin/env bash
# chima-net's answers to bad input, each exit 2 with its message, before anything needs root
# or is built: no or an unknown subcommand, missing and wrong-kind topologies, bad network
# names, and perturb's flag values.
source "$(dirname "${BASH_SOURCE[0]}")/lib/expect.bash"
printf 'kind: chima.topology\nname: x y\n' > "$tmp/bad-name.yaml"

expect_table chima-net <<'ROWS'
# exit | message                                      | arguments
2      | A subcommand is required                     |
2      | A subcommand is required                     | frobnicate
2      | TOPOLOGY is required                         | up
2      | cannot read file                             | up "$tmp/missing.yaml"
2      | unknown key 'chain'                          | up "$ex/service.yaml"
2      | invalid name 'x y'                           | up "$tmp/bad-name.yaml"
2      | link from switch 's0' to itself              | up "$CHIMA_ROOT/tests/data/bad/topology-self-link.yaml"
2      | network name "a/b" is not valid              | up "$ex/topology.yaml" --name a/b
2      | give TOPOLOGY or --name                      | down
2      | network name "a b" is not valid              | down --name "a b"
2      | network name "a/b" is not valid              | status "$ex/topology.yaml" --name a/b
2      | LINK is required                             | perturb "$ex/topology.yaml"
2      | give only one of --down, --up, --clear       | perturb "$ex/topology.yaml" s0-s1 --name cli-absent --down --up
2      | --delay: expected a duration such as 20ms, got 'soon' | perturb "$ex/topology.yaml" s0-s1 --name cli-absent --delay soon
2      | --jitter: expected a duration such as 2ms, got 'x'    | perturb "$ex/topology.yaml" s0-s1 --name cli-absent --jitter x
2      | --loss: expected a probability                | perturb "$ex/topology.yaml" s0-s1 --name cli-absent --loss 150%
2      | --rate: expected a rate such as 10mbit, got 'fast'    | perturb "$ex/topology.yaml" s0-s1 --name cli-absent --rate fast
ROWS
# status of a network none of whose nodes exists is a runtime error that says so (a network
# with some nodes missing is reported, exit 0: tests/e2e/fault_switch_gone.sh). Root only.
if [ "$(id -u)" -eq 0 ]; then
    expect_table chima-net <<'ROWS'
1      | network 'cli-absent' is not up             | status "$ex/topology.yaml" --name cli-absent
ROWS
fi
echo "net cli: ok"
