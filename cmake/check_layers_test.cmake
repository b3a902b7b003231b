# cmake -DWORK=<scratch dir> -DSOURCE=<source tree> -P check_layers_test.cmake
#
# The test of the layering check (ctest "unit: layering_check"): the source tree passes; a
# tree where a lower layer includes a higher one fails, and the message names the file, the
# include and the rule; the same tree without the bad include passes; a table with a loop
# fails. So the check cannot stop rejecting violations unnoticed.
cmake_minimum_required(VERSION 3.25)
set(_checker ${CMAKE_CURRENT_LIST_DIR}/check_layers.cmake)

# Runs the checker on ROOT; sets rc and out in the caller.
function(run_check root)
  execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${root} ${ARGN} -P ${_checker}
    RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
  set(rc ${_rc} PARENT_SCOPE)
  # CMake wraps long messages: match on the text with its whitespace folded.
  string(REGEX REPLACE "[ \t\r\n]+" " " _text "${_out}${_err}")
  set(out "${_text}" PARENT_SCOPE)
endfunction()

# Fails with `what` unless the condition (if() syntax, in a string) holds.
function(expect cond what)
  cmake_language(EVAL CODE "if(NOT (${cond}))
    message(FATAL_ERROR \"layering_check: \${what}\n\${out}\")
  endif()")
endfunction()

run_check(${SOURCE})
expect("rc EQUAL 0" "the source tree must pass the check")

file(REMOVE_RECURSE ${WORK})
set(tree ${WORK}/tree)
file(WRITE ${tree}/common/include/chima/compose/forwarding.hpp "#pragma once\n")
file(WRITE ${tree}/common/include/chima/yaml/yaml_view.hpp "#pragma once\n")
file(WRITE ${tree}/common/src/model/uses_yaml.cpp "#include \"chima/yaml/yaml_view.hpp\"\n")
file(WRITE ${tree}/common/src/model/uses_compose.cpp
  "#include \"chima/error.hpp\"\n#include \"chima/compose/forwarding.hpp\"\n")
run_check(${tree})
expect("NOT rc EQUAL 0" "model including compose must fail the check")
expect("out MATCHES \"common/src/model/uses_compose.cpp\"" "the message must name the file")
expect("out MATCHES \"chima/compose/forwarding.hpp\"" "the message must name the include")
expect("out MATCHES \"area 'model' may not use 'compose'\"" "the message must name the rule")
expect("NOT out MATCHES \"uses_yaml.cpp\"" "an allowed include must not be reported")

file(WRITE ${tree}/common/src/model/uses_compose.cpp "#include \"chima/error.hpp\"\n")
run_check(${tree})
expect("rc EQUAL 0" "the tree without the bad include must pass")

file(WRITE ${tree}/common/src/model/uses_tool.cpp "#include \"chima/tool.hpp\"\n")
run_check(${tree})
expect("out MATCHES \"area 'model' may not use 'tool'\"" "only tools may include chima/tool.hpp")
file(REMOVE ${tree}/common/src/model/uses_tool.cpp)

file(WRITE ${tree}/common/src/newarea/x.cpp "\n")
run_check(${tree})
expect("out MATCHES \"area 'newarea' has no entry\"" "an area missing from the table must fail")
file(REMOVE_RECURSE ${tree}/common/src/newarea)

file(WRITE ${WORK}/loop.cmake "set(CHIMA_LAYERS \"base:\" \"abi:\" \"a: b\" \"b: c\" \"c: a\")\n")
run_check(${WORK}/empty -DTABLE=${WORK}/loop.cmake)
expect("out MATCHES \"loop: a -> b -> c -> a\"" "a table with a loop must fail")
file(REMOVE_RECURSE ${WORK})
