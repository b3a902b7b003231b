# chima_tool(NAME SOURCES... [LIBS ...])
#
# One binary of the toolkit: sources in tools/NAME/, linked with chima::tool (the command
# line frame) and the libchima areas in LIBS (those whose headers it includes), installed
# to bin/.
function(chima_tool NAME)
  cmake_parse_arguments(ARG "" "" "LIBS" ${ARGN})
  add_executable(${NAME} ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${NAME} PRIVATE chima::tool ${ARG_LIBS})
  set_target_properties(${NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
  install(TARGETS ${NAME} RUNTIME DESTINATION bin)
endfunction()
