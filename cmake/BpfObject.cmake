# bpf_object(NAME SOURCE HEADER): compiles SOURCE with clang for the BPF target
# and generates NAME.skel.h with bpftool; exposes both as the INTERFACE target
# NAME_skel (include it to get the skeleton and the shared header).

find_program(CLANG_EXE NAMES clang clang-16 clang-15 clang-14)
find_program(BPFTOOL_EXE NAMES bpftool PATHS /usr/sbin /usr/local/sbin)
if(NOT CLANG_EXE)
  message(FATAL_ERROR "clang is missing: run scripts/install-deps.sh (as root) to install it.")
endif()
if(NOT BPFTOOL_EXE)
  message(FATAL_ERROR "bpftool is missing: run scripts/install-deps.sh (as root) to install it.")
endif()

set(COPYSCOPE_BTF "/sys/kernel/btf/vmlinux" CACHE FILEPATH "BTF used to generate vmlinux.h")
if(NOT EXISTS "${COPYSCOPE_BTF}")
  message(FATAL_ERROR "No kernel BTF at ${COPYSCOPE_BTF}: copyscope needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (or pass -DCOPYSCOPE_BTF=FILE).")
endif()

if(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(BPF_TARGET_ARCH arm64)
else()
  set(BPF_TARGET_ARCH x86)
endif()

set(BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${BPF_GEN_DIR})

add_custom_command(
  OUTPUT ${BPF_GEN_DIR}/vmlinux.h
  COMMAND ${BPFTOOL_EXE} btf dump file ${COPYSCOPE_BTF} format c > ${BPF_GEN_DIR}/vmlinux.h.tmp
  COMMAND ${CMAKE_COMMAND} -E rename ${BPF_GEN_DIR}/vmlinux.h.tmp ${BPF_GEN_DIR}/vmlinux.h
  COMMENT "Generating vmlinux.h from ${COPYSCOPE_BTF}"
  VERBATIM)

function(bpf_object name source header)
  set(obj ${BPF_GEN_DIR}/${name}.bpf.o)
  set(skel ${BPF_GEN_DIR}/${name}.skel.h)
  get_filename_component(src_abs ${source} ABSOLUTE)
  get_filename_component(src_dir ${src_abs} DIRECTORY)
  file(GLOB bpf_headers ${src_dir}/*.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${CLANG_EXE} -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_${BPF_TARGET_ARCH}
            -I${BPF_GEN_DIR} -I${src_dir} -I/usr/include/${CMAKE_LIBRARY_ARCHITECTURE} -Wall -Wno-unused-function
            -c ${src_abs} -o ${obj}
    DEPENDS ${src_abs} ${header} ${bpf_headers} ${BPF_GEN_DIR}/vmlinux.h
    COMMENT "Compiling BPF object ${name}"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL_EXE} gen skeleton ${obj} name ${name}_bpf > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${obj}
    COMMENT "Generating BPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${BPF_GEN_DIR} ${src_dir})
endfunction()
