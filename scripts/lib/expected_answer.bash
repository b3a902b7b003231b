# The answer a chain should give, from its functions' documented behaviour rather than from
# what the chain answers first (a chain that skips a function must not set the standard).
#   expected_answer DEPLOYMENT_JSON REQUEST
# applies the container functions of the deployment's (first) chain to REQUEST in chain
# order, each known by its build directory (examples/functions/NAME), as
# examples/functions/common/transforms.hpp documents them: toupper upper-cases ASCII
# letters, replace turns A E I O into 4 3 1 0, widen puts one space between characters, echo (the last) prefixes "echo: ". P4 functions
# do not touch the payload. A function of another kind is an error (status 1).
#   without_seq < ANSWERS
# drops the request's number from answers, however the functions transformed it ("... 12",
# or "... 1 2" after widen), so they compare with expected_answer of the bare request.
expected_answer() {
    local deployment=$1 text=$2 fn
    for fn in $(jq -r '. as $d | .chains[0].functions[] as $name | $d.functions[]
                       | select(.name == $name and .type == "container")
                       | .build // .image // .name | sub(".*/"; "") | sub(":.*$"; "")' \
                       "$deployment"); do
        case $fn in
            toupper) text=$(LC_ALL=C tr a-z A-Z <<<"$text") ;;
            replace) text=$(LC_ALL=C tr AEIO 4310 <<<"$text") ;;
            widen) text=$(LC_ALL=C sed 's/./& /g; s/ $//' <<<"$text") ;;
            echo) text="echo: $text" ;;
            *)
                echo "expected_answer: no documented behaviour for the function $fn" >&2
                return 1
                ;;
        esac
    done
    printf '%s\n' "$text"
}

without_seq() { sed 's/[0-9 ]*$//'; }
