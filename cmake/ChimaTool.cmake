# chima_tool(NAME SOURCES... [LIBS ...])
#
# One binary of the toolkit: sources in tools/NAME/, linked with libchima, installed to bin/.
function(chima_tool NAME)
  cmake_parse_arguments(ARG "" "" "LIBS" ${ARGN})
  add_executable(${NAME} ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${NAME} PRIVATE chima::common ${ARG_LIBS})
  set_target_properties(${NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
  install(TARGETS ${NAME} RUNTIME DESTINATION bin)
endfunction()
