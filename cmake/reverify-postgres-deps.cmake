# Consumer-side dependencies of reverify::postgres (included by reverifyConfig.cmake).
find_package(Threads QUIET)
find_package(PostgreSQL QUIET)
if(NOT PostgreSQL_FOUND)
  set(${CMAKE_FIND_PACKAGE_NAME}_postgres_FOUND FALSE)
  set(${CMAKE_FIND_PACKAGE_NAME}_NOT_FOUND_MESSAGE
    "reverify::postgres needs libpq: install the Debian package libpq-dev")
endif()
