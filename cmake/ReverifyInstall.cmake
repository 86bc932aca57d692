include(CMakePackageConfigHelpers)

set(REVERIFY_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/reverify)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/reverify DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT reverify-targets NAMESPACE reverify:: DESTINATION ${REVERIFY_CMAKE_DIR})

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/reverifyConfig.cmake.in
  ${PROJECT_BINARY_DIR}/reverifyConfig.cmake
  INSTALL_DESTINATION ${REVERIFY_CMAKE_DIR})
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/reverifyConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
file(GLOB _reverify_find_modules ${PROJECT_SOURCE_DIR}/cmake/Find*.cmake)
install(FILES
  ${PROJECT_BINARY_DIR}/reverifyConfig.cmake
  ${PROJECT_BINARY_DIR}/reverifyConfigVersion.cmake
  ${_reverify_find_modules}
  DESTINATION ${REVERIFY_CMAKE_DIR})

# The .pc file finds its prefix relative to itself, so an installed tree can move.
file(RELATIVE_PATH REVERIFY_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
configure_file(${PROJECT_SOURCE_DIR}/cmake/reverify.pc.in ${PROJECT_BINARY_DIR}/reverify.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/reverify.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
