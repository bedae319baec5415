# Script mode, run by the CTest tests embedded_build*: configures the
# cross project embedded/ (SOURCE) in BINARY with GENERATOR and the limits
# profile PROFILE (may be empty), then builds it with two jobs. A
# non-empty MBEDTLS_SOURCE names an unpacked Mbed TLS tree to use instead
# of a download. Fails with the output of the step that failed.
foreach(var SOURCE BINARY GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "build_embedded.cmake: ${var} is not set")
  endif()
endforeach()
if(NOT EXISTS ${BINARY}/CMakeCache.txt)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -S ${SOURCE} -B ${BINARY} -G ${GENERATOR}
            -DCMAKE_TOOLCHAIN_FILE=${SOURCE}/toolchain-cortex-m4.cmake
            "-DTK_EMBEDDED_PROFILE=${PROFILE}"
            "-DTK_MBEDTLS_SOURCE_DIR=${MBEDTLS_SOURCE}"
    RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "configuring ${SOURCE} failed (status ${status})")
  endif()
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY} -j 2
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "building ${BINARY} failed (status ${status})")
endif()
