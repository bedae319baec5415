# Test images of tests/embedded, built by embedded/CMakeLists.txt for
# Cortex-M4 and run under QEMU. Each image is one CTest test of the
# embedded build (label "embedded"); the host build runs them through
# tests/embedded/CMakeLists.txt.
set(tk_target_tests ${TK_SOURCE_DIR}/tests/embedded)

add_library(tk_target_util STATIC ${tk_target_tests}/target_util.c)
target_link_libraries(tk_target_util PUBLIC tk_runner tk_device_support)
target_include_directories(tk_target_util PUBLIC ${tk_target_tests})
target_compile_options(tk_target_util PRIVATE ${TK_APP_WARNINGS})

tk_firmware(tk_test_crypto_kat
  SOURCES ${tk_target_tests}/test_crypto_kat.c
  LIBS tk_target_util tk_runner)
tk_firmware(tk_test_cbor_cose
  SOURCES ${tk_target_tests}/test_cbor_cose.c
  LIBS tk_target_util tk_runner tk_cose tk_cbor)
tk_firmware(tk_test_suit_examples
  SOURCES ${tk_target_tests}/test_suit_examples.c
          ${TK_EMBEDDED_DIR}/firmware/suit_examples.c
  LIBS tk_target_util tk_runner tk_suit tk_suit_vectors)
target_include_directories(tk_test_suit_examples PRIVATE
                           ${TK_EMBEDDED_DIR}/firmware)
tk_firmware(tk_test_suit_encryption
  SOURCES ${tk_target_tests}/test_suit_encryption.c
  LIBS tk_target_util tk_runner tk_suit tk_suit_vectors)
tk_firmware(tk_test_features
  SOURCES ${tk_target_tests}/test_features.c
  LIBS tk_target_util tk_runner tk_suit tk_suit_vectors)

# No image links the heap, assert() or printf.
add_test(NAME tk_no_heap
         COMMAND ${tk_target_tests}/check_symbols.sh
                 $<TARGET_FILE:tk_test_crypto_kat>
                 $<TARGET_FILE:tk_test_cbor_cose>
                 $<TARGET_FILE:tk_test_suit_examples>
                 $<TARGET_FILE:tk_test_suit_encryption>
                 $<TARGET_FILE:tk_test_features>
                 $<TARGET_FILE:tk_image_suit>
                 $<TARGET_FILE:tk_image_suit_lite>
                 $<TARGET_FILE:tk_image_agent>)
set_tests_properties(tk_no_heap PROPERTIES LABELS embedded)
