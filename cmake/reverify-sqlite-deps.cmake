# Consumer-side dependencies of reverify::sqlite (included by reverifyConfig.cmake).
find_package(SQLite3 QUIET)
if(NOT SQLite3_FOUND)
  set(${CMAKE_FIND_PACKAGE_NAME}_sqlite_FOUND FALSE)
  set(${CMAKE_FIND_PACKAGE_NAME}_NOT_FOUND_MESSAGE
    "reverify::sqlite needs SQLite 3: install the Debian package libsqlite3-dev")
endif()
