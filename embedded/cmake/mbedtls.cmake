# Mbed TLS 2.28.3 for the device build, compiled from the sources of
# Debian's source package mbedtls 2.28.3-1 (the version of Debian 12's
# libmbedtls-dev, which the host build uses) with the device
# configuration embedded/mbedtls/tk_mbedtls_config.h.
#
# Debian's package applies no patches to this release (its debian.tar.xz
# has no debian/patches), so its upstream tarball mbedtls_2.28.3.orig.tar.gz
# is the tree that Debian builds. The tarball is downloaded once from the
# Debian archive, checked against the SHA-256 that the package's .dsc
# lists, and unpacked into the build folder. Mirrors are tried in order:
#   1. TK_DEBIAN_MIRROR, when set (for example a local mirror);
#   2. the Debian mirrors listed in the machine's apt sources;
#   3. http://deb.debian.org/debian;
#   4. the snapshot.debian.org copy of Debian 12 as of 2025-05-20, which
#      keeps this version after the archive replaces it.
# TK_MBEDTLS_SOURCE_DIR names an unpacked tree instead (no download); it
# must be version 2.28.3.
#
# Defines the static library tk_mbedtls_device and the variable
# TK_MBEDTLS_INCLUDE_DIRS.

set(TK_MBEDTLS_VERSION 2.28.3)
set(TK_MBEDTLS_TARBALL mbedtls_${TK_MBEDTLS_VERSION}.orig.tar.gz)
set(TK_MBEDTLS_SHA256
    3b4953aa55a681e084d31892d9904cc5328d6b4958ea57b90ae4b4f94ae69a8d)
set(TK_MBEDTLS_POOL pool/main/m/mbedtls)
set(TK_MBEDTLS_SNAPSHOT
    http://snapshot.debian.org/archive/debian/20250520T000000Z)

set(TK_MBEDTLS_SOURCE_DIR "" CACHE PATH
    "Unpacked Mbed TLS ${TK_MBEDTLS_VERSION} tree (empty: download Debian's)")
set(TK_DEBIAN_MIRROR "" CACHE STRING
    "Debian archive URL tried first for the Mbed TLS source package")
set(TK_MBEDTLS_DOWNLOAD_DIR ${CMAKE_BINARY_DIR}/downloads CACHE PATH
    "Folder that keeps the downloaded Mbed TLS tarball")

# Sets out_var to the Debian archive URLs of the machine's apt sources, in
# the one-line (.list) and deb822 (.sources) formats.
function(tk_apt_debian_mirrors out_var)
  file(GLOB sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list
       /etc/apt/sources.list.d/*.sources)
  set(mirrors "")
  foreach(file ${sources})
    file(STRINGS ${file} lines REGEX "^[ \t]*(deb|URIs:)")
    foreach(line ${lines})
      string(REGEX MATCHALL "https?://[^ \t]+" urls "${line}")
      foreach(url ${urls})
        string(REGEX REPLACE "/+$" "" url "${url}")
        if(url MATCHES "/debian$")
          list(APPEND mirrors ${url})
        endif()
      endforeach()
    endforeach()
  endforeach()
  list(REMOVE_DUPLICATES mirrors)
  set(${out_var} ${mirrors} PARENT_SCOPE)
endfunction()

# Downloads and unpacks the tarball unless a tree is already there.
function(tk_mbedtls_fetch out_dir)
  set(dir ${CMAKE_BINARY_DIR}/mbedtls-${TK_MBEDTLS_VERSION})
  if(EXISTS ${dir}/library/ecp.c)
    set(${out_dir} ${dir} PARENT_SCOPE)
    return()
  endif()
  set(tarball ${TK_MBEDTLS_DOWNLOAD_DIR}/${TK_MBEDTLS_TARBALL})
  if(EXISTS ${tarball})
    file(SHA256 ${tarball} have)
    if(NOT have STREQUAL TK_MBEDTLS_SHA256)
      file(REMOVE ${tarball})
    endif()
  endif()
  if(NOT EXISTS ${tarball})
    tk_apt_debian_mirrors(apt_mirrors)
    set(mirrors ${TK_DEBIAN_MIRROR} ${apt_mirrors}
        http://deb.debian.org/debian ${TK_MBEDTLS_SNAPSHOT})
    list(REMOVE_DUPLICATES mirrors)
    set(tried "")
    foreach(mirror ${mirrors})
      set(url ${mirror}/${TK_MBEDTLS_POOL}/${TK_MBEDTLS_TARBALL})
      message(STATUS "Downloading ${url}")
      file(DOWNLOAD ${url} ${tarball}.part STATUS status
           EXPECTED_HASH SHA256=${TK_MBEDTLS_SHA256} TIMEOUT 300)
      list(GET status 0 code)
      if(code EQUAL 0)
        file(RENAME ${tarball}.part ${tarball})
        break()
      endif()
      list(GET status 1 why)
      list(APPEND tried "${url}: ${why}")
      file(REMOVE ${tarball}.part)
    endforeach()
    if(NOT EXISTS ${tarball})
      string(REPLACE ";" "\n  " tried "${tried}")
      message(FATAL_ERROR
        "Cannot download the Mbed TLS ${TK_MBEDTLS_VERSION} sources:\n"
        "  ${tried}\n"
        "Set TK_DEBIAN_MIRROR to a reachable Debian mirror, put "
        "${TK_MBEDTLS_TARBALL} into ${TK_MBEDTLS_DOWNLOAD_DIR}, or set "
        "TK_MBEDTLS_SOURCE_DIR to an unpacked tree.")
    endif()
  endif()
  # The tarball has one top folder (Mbed-TLS-mbedtls-8f97ca5 in this
  # release), which becomes ${dir}.
  set(unpack ${CMAKE_BINARY_DIR}/mbedtls-unpack)
  file(REMOVE_RECURSE ${unpack})
  file(ARCHIVE_EXTRACT INPUT ${tarball} DESTINATION ${unpack})
  file(GLOB top LIST_DIRECTORIES true ${unpack}/*)
  list(LENGTH top count)
  if(NOT count EQUAL 1 OR NOT EXISTS ${top}/library/ecp.c)
    message(FATAL_ERROR "${tarball} does not contain one Mbed TLS tree")
  endif()
  file(RENAME ${top} ${dir})
  file(REMOVE_RECURSE ${unpack})
  set(${out_dir} ${dir} PARENT_SCOPE)
endfunction()

if(TK_MBEDTLS_SOURCE_DIR)
  set(tk_mbedtls_dir ${TK_MBEDTLS_SOURCE_DIR})
else()
  tk_mbedtls_fetch(tk_mbedtls_dir)
endif()

file(STRINGS ${tk_mbedtls_dir}/include/mbedtls/version.h tk_mbedtls_version
     REGEX "#define MBEDTLS_VERSION_STRING ")
if(NOT tk_mbedtls_version MATCHES "\"${TK_MBEDTLS_VERSION}\"")
  message(FATAL_ERROR "${tk_mbedtls_dir} is not Mbed TLS "
                      "${TK_MBEDTLS_VERSION}: ${tk_mbedtls_version}")
endif()

# The modules the device configuration enables; the others compile to
# nothing, so they are not listed.
set(tk_mbedtls_modules
    aes asn1parse asn1write bignum cipher cipher_wrap constant_time
    ctr_drbg ecdh ecdsa ecp ecp_curves entropy gcm hkdf hmac_drbg md
    memory_buffer_alloc platform platform_util sha256)
set(tk_mbedtls_sources "")
foreach(module ${tk_mbedtls_modules})
  list(APPEND tk_mbedtls_sources ${tk_mbedtls_dir}/library/${module}.c)
endforeach()

set(TK_MBEDTLS_INCLUDE_DIRS ${CMAKE_CURRENT_LIST_DIR}/../mbedtls
    ${tk_mbedtls_dir}/include)
add_library(tk_mbedtls_device STATIC ${tk_mbedtls_sources})
target_include_directories(tk_mbedtls_device PUBLIC ${TK_MBEDTLS_INCLUDE_DIRS})
target_compile_definitions(tk_mbedtls_device PUBLIC
                           MBEDTLS_CONFIG_FILE="tk_mbedtls_config.h")
# Mbed TLS is third-party code: its own sources get no teepkit warnings.
set_source_files_properties(${tk_mbedtls_sources} PROPERTIES
                            COMPILE_OPTIONS "-w")
