# One static library per layer, each with its own include root, so that an include may only point
# down: a layer's headers are reachable only by the targets that link it (ARCHITECTURE.md).
#
# The include root of layer NAME is ${PROJECT_BINARY_DIR}/layers/NAME, holding one symbolic link
# named after the folder; `#include "ops/journal.hpp"` therefore compiles only in a target that
# links ptops. Every .cpp under src/, agent/ and hooks/ must be listed in exactly one target
# (ptagent_check_all_sources_listed, run at the end of the top-level CMakeLists.txt).

set(PTAGENT_LAYER_ROOTS ${PROJECT_BINARY_DIR}/layers)

# ptagent_layer(NAME FOLDER [SOURCES f.cpp ...] [DEPENDS target ...])
#   Target ptNAME from the listed sources of the current source directory; FOLDER is the name the
#   includes use ("ops" for src/ops). PUBLIC DEPENDS are the layers below it that it includes.
function(ptagent_layer name folder)
  cmake_parse_arguments(PARSE_ARGV 2 L "" "" "SOURCES;DEPENDS")
  add_library(pt${name} STATIC ${L_SOURCES})
  set(root ${PTAGENT_LAYER_ROOTS}/${name})
  file(MAKE_DIRECTORY ${root})
  file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR} ${root}/${folder} SYMBOLIC)
  target_include_directories(pt${name} PUBLIC ${root})
  target_link_libraries(pt${name} PUBLIC ${L_DEPENDS} PRIVATE ptwarnings)
  ptagent_listed(${L_SOURCES})
endfunction()

# Records sources (relative to the current source directory) as belonging to a target.
function(ptagent_listed)
  foreach(f IN LISTS ARGN)
    get_filename_component(abs ${f} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    set_property(GLOBAL APPEND PROPERTY PTAGENT_LISTED_SOURCES ${abs})
  endforeach()
endfunction()

function(ptagent_check_all_sources_listed)
  get_property(listed GLOBAL PROPERTY PTAGENT_LISTED_SOURCES)
  file(GLOB_RECURSE all CONFIGURE_DEPENDS
    ${PROJECT_SOURCE_DIR}/src/*.cpp ${PROJECT_SOURCE_DIR}/agent/*.cpp ${PROJECT_SOURCE_DIR}/hooks/*.cpp)
  set(missing)
  foreach(f IN LISTS all)
    if(NOT f IN_LIST listed)
      file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${f})
      list(APPEND missing ${rel})
    endif()
  endforeach()
  if(missing)
    list(JOIN missing "\n  " text)
    message(FATAL_ERROR "these sources are in no target; list each in its folder's CMakeLists.txt "
                        "(a new folder: add a CMakeLists.txt like src/ops/CMakeLists.txt and an "
                        "add_subdirectory in src/CMakeLists.txt):\n  ${text}")
  endif()
endfunction()
