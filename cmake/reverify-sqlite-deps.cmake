# Consumer-side dependencies of reverify::sqlite (included by reverifyConfig.cmake).
# 3.35 or newer: the store uses DELETE … RETURNING (cancel_code, purge_expired); the build
# (src/sqlite/CMakeLists.txt) requires the same.
find_package(SQLite3 3.35 QUIET)
if(NOT SQLite3_FOUND)
  set(${CMAKE_FIND_PACKAGE_NAME}_sqlite_FOUND FALSE)
  if(SQLite3_VERSION)
    set(${CMAKE_FIND_PACKAGE_NAME}_NOT_FOUND_MESSAGE
      "reverify::sqlite needs SQLite 3.35 or newer (DELETE … RETURNING), found ${SQLite3_VERSION}: install a newer libsqlite3-dev")
  else()
    set(${CMAKE_FIND_PACKAGE_NAME}_NOT_FOUND_MESSAGE
      "reverify::sqlite needs SQLite 3.35 or newer: install the Debian package libsqlite3-dev")
  endif()
endif()
