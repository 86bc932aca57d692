# cmake -P script: install, then consume. Fails loudly at the first step that does not work.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "ok: ${ARGN}")
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${prefix})

string(REPLACE ";" "\\;" components "${COMPONENTS}")
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/consumer -B ${WORK_DIR}/consumer -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX} "-DCMAKE_CXX_FLAGS=${FLAGS}"
    "-DWANTED_COMPONENTS=${components}")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer)
run(${WORK_DIR}/consumer/reverify-consumer)

# The examples build from outside the tree too, as a host would copy them.
get_filename_component(examples ${SOURCE_DIR}/../../examples ABSOLUTE)
foreach(example minimal custom_store)
  run(${CMAKE_COMMAND} -S ${examples}/${example} -B ${WORK_DIR}/example-${example} -G ${GENERATOR}
      -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX} "-DCMAKE_CXX_FLAGS=${FLAGS}")
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/example-${example})
endforeach()
run(${WORK_DIR}/example-minimal/reverify-minimal ${WORK_DIR}/example-minimal/outbox.jsonl)
run(${WORK_DIR}/example-custom_store/reverify-custom-store-test)

# A component that was not installed must fail find_package with a clear message.
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/consumer -B ${WORK_DIR}/consumer-missing -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX} -DEXPECT_MISSING_COMPONENT=ON)

# pkg-config, as a Makefile project would use it.
set(ENV{PKG_CONFIG_PATH} "${prefix}/lib/pkgconfig")
execute_process(COMMAND pkg-config --cflags --libs reverify OUTPUT_VARIABLE pc_flags RESULT_VARIABLE rc
                OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config does not know reverify")
endif()
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
separate_arguments(extra UNIX_COMMAND "${FLAGS}")
# Nothing added by hand: what pkg-config prints must be enough to link.
run(${CXX} ${extra} ${SOURCE_DIR}/consumer/main.cpp -o ${WORK_DIR}/pkgconfig-consumer ${pc_flags})
run(${WORK_DIR}/pkgconfig-consumer)

# Embedded with add_subdirectory, as a host vendoring the sources would: only the core is built
# (no backend's Debian library is needed), and the host's install carries none of reverify.
get_filename_component(reverify_source ${SOURCE_DIR}/../.. ABSOLUTE)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/in_tree -B ${WORK_DIR}/in-tree -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX}
    "-DCMAKE_CXX_FLAGS=${FLAGS}" -DREVERIFY_SOURCE_DIR=${reverify_source})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/in-tree)
run(${WORK_DIR}/in-tree/reverify-in-tree)
run(${CMAKE_COMMAND} --install ${WORK_DIR}/in-tree --prefix ${WORK_DIR}/in-tree-prefix)
if(NOT EXISTS ${WORK_DIR}/in-tree-prefix/bin/reverify-in-tree)
  message(FATAL_ERROR "the host's own install did not run")
endif()
file(GLOB_RECURSE leaked RELATIVE ${WORK_DIR}/in-tree-prefix ${WORK_DIR}/in-tree-prefix/*)
list(REMOVE_ITEM leaked bin/reverify-in-tree)
if(leaked)
  message(FATAL_ERROR "an embedded reverify installed files of its own: ${leaked}")
endif()
