# Build helpers shared by every directory of teepkit.

set(TK_SOURCE_DIR ${CMAKE_CURRENT_LIST_DIR}/..)
set(TK_VECTOR_DIR ${TK_SOURCE_DIR}/tests/vectors)

if(TK_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# Warnings of the core libraries: every one is an error.
set(TK_CORE_WARNINGS -Wall -Wextra -Wpedantic -Wconversion -Wshadow
    -Wstrict-prototypes -Wmissing-prototypes -Wvla -Werror)
# Warnings of applications, tests and benchmarks.
set(TK_APP_WARNINGS -Wall -Wextra -Wvla -Werror)

# Adds every immediate subdirectory of DIR that has a CMakeLists.txt, in
# name order, except that the subdirectories named after DIR come last (so
# that they can test with if(TARGET ...) for libraries of their siblings).
function(tk_add_subdirectories dir)
  file(GLOB children LIST_DIRECTORIES true ${TK_SOURCE_DIR}/${dir}/*)
  list(SORT children)
  foreach(last ${ARGN})
    list(REMOVE_ITEM children ${TK_SOURCE_DIR}/${dir}/${last})
    list(APPEND children ${TK_SOURCE_DIR}/${dir}/${last})
  endforeach()
  foreach(child ${children})
    if(IS_DIRECTORY ${child} AND EXISTS ${child}/CMakeLists.txt)
      add_subdirectory(${child})
    endif()
  endforeach()
endfunction()

# tk_core_library(NAME SOURCES... [DEPENDS libs...])
# A static core library: C11, the strict warning set, public headers in
# include/, private headers beside the sources.
function(tk_core_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES} ${ARG_UNPARSED_ARGUMENTS})
  target_include_directories(${name} PUBLIC ${TK_SOURCE_DIR}/include
                                     PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${TK_CORE_WARNINGS})
  if(ARG_DEPENDS)
    target_link_libraries(${name} PUBLIC ${ARG_DEPENDS})
  endif()
endfunction()

# tk_app_warnings(TARGET): the warning set for applications and tests.
function(tk_app_warnings target)
  target_compile_options(${target} PRIVATE ${TK_APP_WARNINGS})
endfunction()

# tk_unit_test(NAME SOURCES... LIBS libs... [LABELS labels...])
# A cmocka test program registered with CTest. Tests find published vectors
# through the TK_VECTOR_DIR macro.
function(tk_unit_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES} ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} tk_test_support
                        ${CMOCKA_LIBRARIES})
  target_include_directories(${name} PRIVATE ${CMOCKA_INCLUDE_DIRS}
                             ${TK_SOURCE_DIR}/tests/unit/support)
  target_compile_definitions(${name} PRIVATE
                             TK_VECTOR_DIR="${TK_VECTOR_DIR}")
  tk_app_warnings(${name})
  # Tests format fixed-size messages and paths; GCC's optimized builds guess
  # truncations there that cannot happen with the test's inputs.
  target_compile_options(${name} PRIVATE -Wno-format-truncation)
  add_test(NAME ${name} COMMAND ${name})
  set(labels unit ${ARG_LABELS})
  set(timeout 300)
  if(ARG_TIMEOUT)
    set(timeout ${ARG_TIMEOUT})
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${labels}" TIMEOUT ${timeout})
endfunction()

find_package(PkgConfig REQUIRED)
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
set(CMOCKA_LIBRARIES PkgConfig::CMOCKA)

# Helpers shared by all unit tests (tests/unit/support).
add_library(tk_test_support STATIC ${TK_SOURCE_DIR}/tests/unit/support/tk_test.c)
target_include_directories(tk_test_support PUBLIC ${TK_SOURCE_DIR}/tests/unit/support)
target_compile_definitions(tk_test_support PRIVATE TK_VECTOR_DIR="${TK_VECTOR_DIR}")
tk_app_warnings(tk_test_support)

pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
set(JANSSON_LIBRARIES PkgConfig::JANSSON)
