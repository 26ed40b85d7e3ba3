# rimport's dependencies, all through pkg-config imported targets. Used by the
# build and, installed, by rimportConfig.cmake so that find_package(rimport)
# recreates the same targets.
find_package(PkgConfig REQUIRED)
pkg_check_modules(RIMPORT_UV REQUIRED IMPORTED_TARGET libuv>=1.44)
pkg_check_modules(RIMPORT_CJSON REQUIRED IMPORTED_TARGET libcjson>=1.7)
pkg_check_modules(RIMPORT_XXHASH REQUIRED IMPORTED_TARGET libxxhash>=0.8)
pkg_check_modules(RIMPORT_FFI REQUIRED IMPORTED_TARGET libffi>=3.3)
set(RIMPORT_DEP_TARGETS PkgConfig::RIMPORT_UV PkgConfig::RIMPORT_CJSON
    PkgConfig::RIMPORT_XXHASH PkgConfig::RIMPORT_FFI)
if(NOT WIN32)
  find_package(Threads REQUIRED)
  list(APPEND RIMPORT_DEP_TARGETS Threads::Threads ${CMAKE_DL_LIBS})
else()
  list(APPEND RIMPORT_DEP_TARGETS shell32) # CommandLineToArgvW
endif()
