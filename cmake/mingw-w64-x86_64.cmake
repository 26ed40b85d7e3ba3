# CMake toolchain file: cross-compile for 64-bit Windows with Debian's
# mingw-w64 (x86_64-w64-mingw32), and run what was built under wine.
#
#   cmake -S . -B build-mingw \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake \
#     -DRIMPORT_MINGW_PREFIX="$(scripts/windows-deps.sh | tail -n 1)"
#
# RIMPORT_MINGW_PREFIX (a -D variable, or else the environment variable of
# that name) is the prefix that scripts/windows-deps.sh built libuv, cJSON,
# xxHash, libffi and cmocka into. Libraries, headers, packages and
# pkg-config's .pc files are looked for only there and in the mingw-w64
# sysroot, never in the host's /usr; programs (pkg-config, wine, …) come
# from the host.
#
# pkg-config: this file sets PKG_CONFIG_LIBDIR (and clears PKG_CONFIG_PATH
# and PKG_CONFIG_SYSROOT_DIR) in CMake's environment, so that
# pkg_check_modules() finds the prefix's .pc files and not the host's.
# Outside CMake, a caller does the same:
#   PKG_CONFIG_LIBDIR=<prefix>/lib/pkgconfig pkg-config --cflags --libs libuv
#
# Tests: CMAKE_CROSSCOMPILING_EMULATOR is wine (wine64) when it is installed,
# so add_test() and try_run() run the .exe through it. The DLLs of the
# prefix are in <prefix>/bin: whoever runs the tests puts that directory on
# WINEPATH (e.g. WINEPATH="<prefix>/bin;<build dir>").

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(RIMPORT_MINGW_TRIPLET x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${RIMPORT_MINGW_TRIPLET}-gcc)
set(CMAKE_RC_COMPILER ${RIMPORT_MINGW_TRIPLET}-windres)
# C++ only when g++-mingw-w64-x86-64 is installed: a project that checks
# for C++ with check_language(CXX) then sees none, instead of a compiler
# name that enable_language(CXX) cannot find.
find_program(RIMPORT_MINGW_CXX ${RIMPORT_MINGW_TRIPLET}-g++)
if(RIMPORT_MINGW_CXX)
  set(CMAKE_CXX_COMPILER ${RIMPORT_MINGW_CXX})
endif()

# The deps prefix: the -D variable wins over the environment. It is put
# back into the environment because try_compile() projects read this file
# again without the caller's cache.
if(NOT RIMPORT_MINGW_PREFIX AND DEFINED ENV{RIMPORT_MINGW_PREFIX})
  set(RIMPORT_MINGW_PREFIX "$ENV{RIMPORT_MINGW_PREFIX}")
endif()
if(RIMPORT_MINGW_PREFIX)
  set(ENV{RIMPORT_MINGW_PREFIX} "${RIMPORT_MINGW_PREFIX}")
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES RIMPORT_MINGW_PREFIX)

set(RIMPORT_MINGW_SYSROOT /usr/${RIMPORT_MINGW_TRIPLET})
set(CMAKE_FIND_ROOT_PATH ${RIMPORT_MINGW_PREFIX} ${RIMPORT_MINGW_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config sees the prefix's .pc files (and Debian's mingw-w64 -dev
# packages' ones in the sysroot), nothing of the host.
set(_rimport_pc_dirs)
if(RIMPORT_MINGW_PREFIX)
  list(APPEND _rimport_pc_dirs ${RIMPORT_MINGW_PREFIX}/lib/pkgconfig
       ${RIMPORT_MINGW_PREFIX}/share/pkgconfig)
endif()
list(APPEND _rimport_pc_dirs ${RIMPORT_MINGW_SYSROOT}/lib/pkgconfig)
string(REPLACE ";" ":" _rimport_pc_dirs "${_rimport_pc_dirs}")
set(ENV{PKG_CONFIG_LIBDIR} "${_rimport_pc_dirs}")
unset(ENV{PKG_CONFIG_PATH})
unset(ENV{PKG_CONFIG_SYSROOT_DIR})
unset(_rimport_pc_dirs)

# wine runs the tests. Debian's wine64 package installs /usr/lib/wine/wine64
# (and /usr/bin/wine64 or /usr/bin/wine when the wine package is there too).
find_program(RIMPORT_WINE NAMES wine64 wine PATHS /usr/lib/wine
             NO_CMAKE_FIND_ROOT_PATH)
if(RIMPORT_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${RIMPORT_WINE})
endif()
