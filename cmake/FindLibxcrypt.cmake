# Finds libxcrypt, for crypt_rn (Debian: libcrypt-dev, which ships only pkg-config files), and
# makes the imported target Libxcrypt::crypt.
include(FindPackageHandleStandardArgs)
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_LIBXCRYPT QUIET libxcrypt)
endif()
find_path(Libxcrypt_INCLUDE_DIR crypt.h HINTS ${PC_LIBXCRYPT_INCLUDE_DIRS})
find_library(Libxcrypt_LIBRARY NAMES crypt HINTS ${PC_LIBXCRYPT_LIBRARY_DIRS})
set(Libxcrypt_VERSION ${PC_LIBXCRYPT_VERSION})
if(Libxcrypt_INCLUDE_DIR AND Libxcrypt_LIBRARY)
  # glibc's old libcrypt has no crypt_rn; libxcrypt does.
  include(CheckSymbolExists)
  include(CMakePushCheckState)
  cmake_push_check_state(RESET)
  set(CMAKE_REQUIRED_INCLUDES ${Libxcrypt_INCLUDE_DIR})
  set(CMAKE_REQUIRED_LIBRARIES ${Libxcrypt_LIBRARY})
  set(CMAKE_REQUIRED_QUIET ON)
  check_symbol_exists(crypt_rn crypt.h Libxcrypt_HAS_CRYPT_RN)
  cmake_pop_check_state()
endif()
find_package_handle_standard_args(Libxcrypt
  REQUIRED_VARS Libxcrypt_LIBRARY Libxcrypt_INCLUDE_DIR Libxcrypt_HAS_CRYPT_RN
  VERSION_VAR Libxcrypt_VERSION
  REASON_FAILURE_MESSAGE "install the Debian package libcrypt-dev (libxcrypt)")
if(Libxcrypt_FOUND AND NOT TARGET Libxcrypt::crypt)
  add_library(Libxcrypt::crypt UNKNOWN IMPORTED)
  set_target_properties(Libxcrypt::crypt PROPERTIES
    IMPORTED_LOCATION "${Libxcrypt_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${Libxcrypt_INCLUDE_DIR}")
endif()
mark_as_advanced(Libxcrypt_INCLUDE_DIR Libxcrypt_LIBRARY)
