# Consumer-side dependencies of reverify::legacy (included by reverifyConfig.cmake): OpenSSL's
# libcrypto, libargon2 and libxcrypt, found the same way the build found them.
include(CMakeFindDependencyMacro)
find_dependency(OpenSSL 1.1 COMPONENTS Crypto)
find_dependency(Argon2)
find_dependency(Libxcrypt)
