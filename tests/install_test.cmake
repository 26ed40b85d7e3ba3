# Installs the build into a scratch prefix, then builds and runs a consumer
# with find_package(rimport) (shared and static) and with pkg-config.
# -DBUILD=<build dir> -DSRC=<source dir> -DTMP=<scratch dir>
file(REMOVE_RECURSE ${TMP})
file(MAKE_DIRECTORY ${TMP})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_out "${out}" PARENT_SCOPE)
endfunction()
run(${CMAKE_COMMAND} --install ${BUILD} --prefix ${TMP}/prefix)
run(${CMAKE_COMMAND} -S ${SRC}/tests/consumer -B ${TMP}/consumer
    -DCMAKE_PREFIX_PATH=${TMP}/prefix)
run(${CMAKE_COMMAND} --build ${TMP}/consumer)
foreach(exe consumer_shared consumer_static)
  run(${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${TMP}/prefix/lib:${TMP}/prefix/lib64
      ${TMP}/consumer/${exe})
  if(NOT last_out MATCHES "rimport [0-9]+\\.[0-9]+\\.[0-9]+: serde")
    message(FATAL_ERROR "${exe} printed: ${last_out}")
  endif()
endforeach()
# pkg-config
file(GLOB pcdir ${TMP}/prefix/lib*/pkgconfig ${TMP}/prefix/lib/*/pkgconfig)
run(${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${pcdir} pkg-config --cflags --libs rimport)
string(STRIP "${last_out}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
run(cc ${SRC}/tests/consumer/consumer.c -o ${TMP}/consumer_pc ${flags})
run(${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${TMP}/prefix/lib:${TMP}/prefix/lib64
    ${TMP}/consumer_pc)
message(STATUS "installed package works: ${last_out}")
