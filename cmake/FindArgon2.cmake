# Finds libargon2, the Argon2 reference implementation (Debian: libargon2-dev, which ships only a
# pkg-config file), and makes the imported target Argon2::argon2.
include(FindPackageHandleStandardArgs)
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_ARGON2 QUIET libargon2)
endif()
find_path(Argon2_INCLUDE_DIR argon2.h HINTS ${PC_ARGON2_INCLUDE_DIRS})
find_library(Argon2_LIBRARY NAMES argon2 HINTS ${PC_ARGON2_LIBRARY_DIRS})
set(Argon2_VERSION ${PC_ARGON2_VERSION})
find_package_handle_standard_args(Argon2
  REQUIRED_VARS Argon2_LIBRARY Argon2_INCLUDE_DIR
  VERSION_VAR Argon2_VERSION
  REASON_FAILURE_MESSAGE "install the Debian package libargon2-dev")
if(Argon2_FOUND AND NOT TARGET Argon2::argon2)
  add_library(Argon2::argon2 UNKNOWN IMPORTED)
  set_target_properties(Argon2::argon2 PROPERTIES
    IMPORTED_LOCATION "${Argon2_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${Argon2_INCLUDE_DIR}")
endif()
mark_as_advanced(Argon2_INCLUDE_DIR Argon2_LIBRARY)
