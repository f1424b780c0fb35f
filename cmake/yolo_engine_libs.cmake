# Imported targets for the dependencies that ship no CMake package (libjpeg-turbo, cairo, cuDNN, NCCL),
# shared by the build (cmake/Dependencies.cmake) and the installed package config, so the exported
# link interface names targets, not the build machine's paths. Set YE_LIBS_CUDA to find cuDNN and NCCL.
# Sets yolo_engine_LIBS_MISSING to the names of the libraries that were not found.
set(yolo_engine_LIBS_MISSING "")
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND AND NOT TARGET PkgConfig::CAIRO)
  pkg_check_modules(CAIRO QUIET IMPORTED_TARGET GLOBAL cairo)
endif()
if(NOT TARGET PkgConfig::CAIRO)
  list(APPEND yolo_engine_LIBS_MISSING cairo)
endif()

# ye_import_library(<target> <library name> [HINTS dirs...]): an UNKNOWN IMPORTED target for one library.
function(ye_import_library target name)
  if(TARGET ${target})
    return()
  endif()
  string(TOUPPER "YE_${name}_LIBRARY" var)
  find_library(${var} ${name} ${ARGN})
  if(NOT ${var})
    set(yolo_engine_LIBS_MISSING ${yolo_engine_LIBS_MISSING} ${name} PARENT_SCOPE)
    return()
  endif()
  add_library(${target} UNKNOWN IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES IMPORTED_LOCATION "${${var}}")
endfunction()

ye_import_library(yolo_engine::turbojpeg turbojpeg)
if(YE_LIBS_CUDA)
  ye_import_library(yolo_engine::cudnn cudnn HINTS ${CUDAToolkit_LIBRARY_DIR})
  ye_import_library(yolo_engine::nccl nccl HINTS ${CUDAToolkit_LIBRARY_DIR})
endif()
