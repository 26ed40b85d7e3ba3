# Fails when an #include in src/ runs upward in the layering.
#
#   cmake -DSRC=<dir with the sources> -DLAYERS=<list> -P layering.cmake
#
# LAYERS is the order from CMakeLists.txt (RIMPORT_LAYERS), bottom first;
# an entry may name several folders or top-level files of one layer,
# separated by '|' ("common|unix|win|platform.h|session.h"). A file may
# include from its own layer and the layers below it, and any public
# header (include/). Every file of src/ must belong to a layer.
cmake_minimum_required(VERSION 3.16)
if(NOT SRC OR NOT LAYERS)
  message(FATAL_ERROR "usage: cmake -DSRC=<src> -DLAYERS=<list> -P ${CMAKE_SCRIPT_MODE_FILE}")
endif()

# layer_of(<path relative to SRC> <out>): the layer's index, or -1.
function(layer_of rel out)
  string(REGEX REPLACE "/.*" "" top "${rel}")
  set(i 0)
  foreach(layer IN LISTS LAYERS)
    string(REPLACE "|" ";" members "${layer}")
    if(top IN_LIST members)
      set(${out} ${i} PARENT_SCOPE)
      return()
    endif()
    math(EXPR i "${i} + 1")
  endforeach()
  set(${out} -1 PARENT_SCOPE)
endfunction()

file(GLOB_RECURSE files RELATIVE "${SRC}" "${SRC}/*.c" "${SRC}/*.h")
list(SORT files)
set(problems "")
set(checked 0)
foreach(f IN LISTS files)
  layer_of("${f}" from)
  if(from EQUAL -1)
    string(APPEND problems "  ${f}: in no layer (add its folder to RIMPORT_LAYERS)\n")
    continue()
  endif()
  get_filename_component(dir "${f}" DIRECTORY)
  file(STRINGS "${SRC}/${f}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*" "\\1" inc "${line}")
    # Resolved like the compiler does: beside the file, then from src/.
    if(dir)
      set(beside "${dir}/${inc}")
    else()
      set(beside "${inc}")
    endif()
    get_filename_component(beside_abs "${SRC}/${beside}" ABSOLUTE)
    get_filename_component(src_abs "${SRC}/${inc}" ABSOLUTE)
    if(EXISTS "${beside_abs}")
      file(RELATIVE_PATH target "${SRC}" "${beside_abs}")
    elseif(EXISTS "${src_abs}")
      file(RELATIVE_PATH target "${SRC}" "${src_abs}")
    else()
      continue() # a public header (include/) or a generated file
    endif()
    math(EXPR checked "${checked} + 1")
    layer_of("${target}" to)
    if(to GREATER from)
      list(GET LAYERS ${from} from_name)
      list(GET LAYERS ${to} to_name)
      string(APPEND problems
        "  ${f} (layer ${from_name}) includes \"${inc}\" (layer ${to_name}), which is above it\n")
    endif()
  endforeach()
endforeach()
if(problems)
  message(FATAL_ERROR "#includes that run upward or files outside the layering:\n${problems}"
    "The order is RIMPORT_LAYERS in CMakeLists.txt: move the code down, or "
    "hand the lower layer what it needs instead of including upward.")
endif()
message(STATUS "layering: ${checked} includes in ${SRC} follow the order")
