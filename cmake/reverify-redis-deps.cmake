# Consumer-side dependencies of reverify::redis (included by reverifyConfig.cmake, which puts
# this folder, holding FindHiredis.cmake, on CMAKE_MODULE_PATH).
find_package(Threads QUIET)
find_package(Hiredis QUIET)
if(NOT Hiredis_FOUND)
  set(${CMAKE_FIND_PACKAGE_NAME}_redis_FOUND FALSE)
  set(${CMAKE_FIND_PACKAGE_NAME}_NOT_FOUND_MESSAGE
    "reverify::redis needs hiredis: install the Debian package libhiredis-dev")
endif()
