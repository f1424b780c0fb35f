# `cmake --install <build> --prefix P`: the libraries, headers (under include/yolo_engine, the public
# one as <yolo_engine/yolo_engine.h>), model configs, the `yolo` command and the CMake package, so an
# outside project does find_package(yolo_engine) and target_link_libraries(app yolo_engine::yolo_engine).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
set(YE_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/yolo_engine)
set(YE_INSTALL_CONFIGS ${CMAKE_INSTALL_DATADIR}/yolo_engine/configs)

install(TARGETS ye_deps ye_kernels ye_engine ye_layers ye_data ye_yolo ye_api EXPORT yolo_engine_targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS yolo RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY kernels engine layers data yolo DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/yolo_engine
  FILES_MATCHING PATTERN "*.h" PATTERN "*.cuh" PATTERN "cli" EXCLUDE)
install(DIRECTORY api/yolo_engine DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY configs/ DESTINATION ${YE_INSTALL_CONFIGS})

install(EXPORT yolo_engine_targets NAMESPACE yolo_engine:: DESTINATION ${YE_INSTALL_CMAKEDIR})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/yolo_engineConfig.cmake.in
  ${CMAKE_BINARY_DIR}/package/yolo_engineConfig.cmake INSTALL_DESTINATION ${YE_INSTALL_CMAKEDIR}
  PATH_VARS YE_INSTALL_CONFIGS)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/package/yolo_engineConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/package/yolo_engineConfig.cmake
  ${CMAKE_BINARY_DIR}/package/yolo_engineConfigVersion.cmake ${CMAKE_SOURCE_DIR}/cmake/yolo_engine_libs.cmake
  DESTINATION ${YE_INSTALL_CMAKEDIR})
