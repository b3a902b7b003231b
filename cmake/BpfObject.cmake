# chima_bpf_object(NAME SOURCE [DEPENDS ...])
#
# Compiles SOURCE with `clang -g -O2 -target bpf` into ${NAME}.bpf.o (BTF included) and
# generates its libbpf skeleton ${NAME}.skel.h with `bpftool gen skeleton`. Creates the
# INTERFACE target `${NAME}_skel`: link it to get the skeleton header on the include path
# and the object built first.
find_program(CHIMA_CLANG clang REQUIRED)
find_program(CHIMA_BPFTOOL bpftool PATHS /usr/sbin /sbin REQUIRED)
execute_process(COMMAND uname -m OUTPUT_VARIABLE CHIMA_UNAME_M OUTPUT_STRIP_TRAILING_WHITESPACE)
if(CHIMA_UNAME_M STREQUAL "x86_64")
  set(CHIMA_BPF_ARCH x86)
  set(CHIMA_MULTIARCH_INCLUDE /usr/include/x86_64-linux-gnu)
elseif(CHIMA_UNAME_M STREQUAL "aarch64")
  set(CHIMA_BPF_ARCH arm64)
  set(CHIMA_MULTIARCH_INCLUDE /usr/include/aarch64-linux-gnu)
else()
  set(CHIMA_BPF_ARCH ${CHIMA_UNAME_M})
  set(CHIMA_MULTIARCH_INCLUDE /usr/include)
endif()

set(CHIMA_BPF_INCLUDE_DIR ${CMAKE_SOURCE_DIR}/bpf/include)

function(chima_bpf_object NAME SOURCE)
  cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
  get_filename_component(src ${SOURCE} ABSOLUTE)
  set(out_dir ${CMAKE_BINARY_DIR}/bpf)
  set(obj ${out_dir}/${NAME}.bpf.o)
  set(skel ${out_dir}/${NAME}.skel.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
    COMMAND ${CHIMA_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${CHIMA_BPF_ARCH}
            -Wall -Wno-unused-function
            -I${CHIMA_BPF_INCLUDE_DIR} -I${CHIMA_MULTIARCH_INCLUDE}
            -MD -MF ${obj}.d -c ${src} -o ${obj}
    DEPENDS ${src} ${ARG_DEPENDS}
    DEPFILE ${obj}.d
    COMMENT "BPF ${NAME}.bpf.o"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${CHIMA_BPFTOOL} gen skeleton ${obj} name ${NAME} > ${skel}
    DEPENDS ${obj}
    COMMENT "BPF skeleton ${NAME}.skel.h"
    VERBATIM)
  add_custom_target(${NAME}_bpf DEPENDS ${obj} ${skel})
  add_library(${NAME}_skel INTERFACE)
  add_dependencies(${NAME}_skel ${NAME}_bpf)
  target_include_directories(${NAME}_skel INTERFACE ${out_dir} ${CHIMA_BPF_INCLUDE_DIR})
  target_link_libraries(${NAME}_skel INTERFACE PkgConfig::LIBBPF)
  set_property(GLOBAL APPEND PROPERTY CHIMA_BPF_OBJECTS ${obj})
  set_property(GLOBAL APPEND PROPERTY CHIMA_BPF_SKELETONS ${NAME}_skel)
endfunction()
