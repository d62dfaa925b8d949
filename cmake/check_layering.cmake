# Checks the broker's layering: every file in broker/<subsystem>/ may include
# headers of its own subsystem and of the subsystems it uses (directly or
# through others), as declared with zonecast_subsystem() in broker/, and no
# others. Run by ctest (tests/CMakeLists.txt):
#
#   cmake -DLAYERS="common:;protocol:common;..." -DBROKER_DIR=<src>/broker
#         [-DEXTRA_FILE=<file> -DEXTRA_SUBSYSTEM=<name>] -P check_layering.cmake
#
# EXTRA_FILE is checked as if it sat in broker/<EXTRA_SUBSYSTEM>/, so a test
# can show that a wrong-way include fails. Exits non-zero on any violation.
cmake_minimum_required(VERSION 3.25)

set(subsystems "")
set(violations 0)
# The graph itself goes one way: a subsystem may only use subsystems
# declared before it (broker/CMakeLists.txt adds them in layer order), so
# no cycle can hide in it.
foreach(entry IN LISTS LAYERS)
  string(REPLACE ":" ";" parts "${entry}:")
  list(GET parts 0 name)
  list(GET parts 1 deps)
  string(REPLACE "," ";" deps "${deps}")
  foreach(dep IN LISTS deps)
    if(NOT dep IN_LIST subsystems)
      message(NOTICE "subsystem '${name}' uses '${dep}', which is not declared before it")
      math(EXPR violations "${violations} + 1")
    endif()
  endforeach()
  list(APPEND subsystems ${name})
  set(direct_${name} ${deps})
endforeach()

# allowed_<name>: the subsystem itself and everything it reaches.
foreach(name IN LISTS subsystems)
  set(reached ${name})
  set(frontier ${direct_${name}})
  while(frontier)
    list(POP_FRONT frontier next)
    if(NOT next IN_LIST reached)
      list(APPEND reached ${next})
      list(APPEND frontier ${direct_${next}})
    endif()
  endwhile()
  set(allowed_${name} ${reached})
endforeach()

function(check_file path subsystem)
  file(STRINGS "${path}" lines REGEX "^#include \"[a-z_]+/")
  foreach(line IN LISTS lines)
    string(REGEX MATCH "^#include \"([a-z_]+)/" _ "${line}")
    set(used "${CMAKE_MATCH_1}")
    if(NOT used IN_LIST subsystems)
      continue()  # not a broker subsystem (absl/, zonecast/, shared/ ...)
    endif()
    if(NOT used IN_LIST allowed_${subsystem})
      string(REPLACE ";" ", " may "${allowed_${subsystem}}")
      message(NOTICE "${path}: ${line}: subsystem '${subsystem}' may not use "
              "'${used}' (it may use: ${may})")
      math(EXPR count "${violations} + 1")
      set(violations ${count} PARENT_SCOPE)
    endif()
  endforeach()
endfunction()

file(GLOB entries RELATIVE "${BROKER_DIR}" "${BROKER_DIR}/*")
foreach(entry IN LISTS entries)
  if(NOT IS_DIRECTORY "${BROKER_DIR}/${entry}")
    continue()
  endif()
  if(NOT entry IN_LIST subsystems)
    message(NOTICE "broker/${entry}/ is not a declared subsystem (zonecast_subsystem)")
    math(EXPR violations "${violations} + 1")
    continue()
  endif()
  file(GLOB_RECURSE sources "${BROKER_DIR}/${entry}/*.h" "${BROKER_DIR}/${entry}/*.cc")
  foreach(path IN LISTS sources)
    check_file("${path}" "${entry}")
  endforeach()
endforeach()
if(EXTRA_FILE)
  check_file("${EXTRA_FILE}" "${EXTRA_SUBSYSTEM}")
endif()

list(LENGTH subsystems count)
if(violations GREATER 0)
  message(FATAL_ERROR "${violations} violation(s) of the broker's layering")
endif()
message(STATUS "broker layering: ${count} subsystems, every include goes one way")
