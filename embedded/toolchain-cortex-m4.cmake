# CMake toolchain file for bare-metal Cortex-M4 with Debian's
# gcc-arm-none-eabi (12.2) and newlib-nano.
#
#   cmake -S embedded -B build-embedded -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=embedded/toolchain-cortex-m4.cmake
#
# Code is Thumb-2 for the Cortex-M4 with the soft-float ABI
# (-mfloat-abi=soft): the device side does integer work only, so the FPU
# is left off and the same objects also run on a Cortex-M4 without one.
# Every function and object gets its own section, and images are linked
# with --gc-sections, so an image contains only what it calls. The
# embedded/ project builds MinSizeRel (-Os) unless told otherwise.

set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(TK_ARM_PREFIX arm-none-eabi- CACHE STRING "Prefix of the cross tools")
set(CMAKE_C_COMPILER ${TK_ARM_PREFIX}gcc)
set(CMAKE_ASM_COMPILER ${TK_ARM_PREFIX}gcc)
set(CMAKE_AR ${TK_ARM_PREFIX}ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${TK_ARM_PREFIX}ranlib CACHE FILEPATH "")
set(CMAKE_OBJCOPY ${TK_ARM_PREFIX}objcopy CACHE FILEPATH "")
set(CMAKE_SIZE ${TK_ARM_PREFIX}size CACHE FILEPATH "")
set(CMAKE_NM ${TK_ARM_PREFIX}nm CACHE FILEPATH "")

# try_compile() cannot link without a startup file and a linker script.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(TK_ARM_CPU_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=soft")
set(CMAKE_C_FLAGS_INIT
    "${TK_ARM_CPU_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "${TK_ARM_CPU_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "${TK_ARM_CPU_FLAGS} --specs=nano.specs -nostartfiles -Wl,--gc-sections")

# Look for libraries and headers in the cross sysroot only, and for
# programs on the host.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
