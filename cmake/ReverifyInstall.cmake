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

# A static libreverify (the default) leaves libsodium and threads to every link line, so the .pc
# file must name them publicly: plain `pkg-config --libs reverify` then links. A shared one links
# them itself. fmt is public either way: reverify/fmt.hpp's formatters call into it.
if(BUILD_SHARED_LIBS)
  set(REVERIFY_PC_REQUIRES "fmt")
  set(REVERIFY_PC_REQUIRES_PRIVATE "libsodium")
  set(REVERIFY_PC_LIBS "")
  set(REVERIFY_PC_LIBS_PRIVATE "-pthread")
else()
  set(REVERIFY_PC_REQUIRES "libsodium fmt")
  set(REVERIFY_PC_REQUIRES_PRIVATE "")
  set(REVERIFY_PC_LIBS "-pthread")
  set(REVERIFY_PC_LIBS_PRIVATE "")
endif()
# The .pc file finds its prefix relative to itself, so an installed tree can move.
file(RELATIVE_PATH REVERIFY_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
configure_file(${PROJECT_SOURCE_DIR}/cmake/reverify.pc.in ${PROJECT_BINARY_DIR}/reverify.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/reverify.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
