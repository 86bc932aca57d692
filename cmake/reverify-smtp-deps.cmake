# Consumer-side dependencies of reverify::smtp (included by reverifyConfig.cmake): libcurl 7.85+,
# from the Debian package libcurl4-openssl-dev, through CMake's FindCURL (pkg-config). Searched
# QUIET first so a missing library names the package to install rather than CMake's generic text.
include(CMakeFindDependencyMacro)
find_package(CURL 7.85 QUIET)
if(NOT CURL_FOUND)
  set(${CMAKE_FIND_PACKAGE_NAME}_smtp_FOUND FALSE)
  set(${CMAKE_FIND_PACKAGE_NAME}_NOT_FOUND_MESSAGE
    "reverify::smtp needs libcurl 7.85 or newer: install the Debian package libcurl4-openssl-dev")
  return()
endif()
find_dependency(CURL 7.85)
