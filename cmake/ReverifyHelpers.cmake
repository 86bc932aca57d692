# Warnings and sanitizers apply to reverify's own targets only (PRIVATE): consumers inherit
# nothing but cxx_std_17.
function(reverify_target_defaults target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wconversion -Wshadow)
    if(REVERIFY_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
    if(REVERIFY_SANITIZE)
      target_compile_options(${target} PRIVATE -fsanitize=${REVERIFY_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
      target_link_options(${target} PRIVATE -fsanitize=${REVERIFY_SANITIZE})
    endif()
  endif()
  # libFuzzer steers by coverage: in a fuzz build the library and the example code the targets
  # drive are instrumented too, not only the harnesses.
  if(REVERIFY_BUILD_FUZZ AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endfunction()

# A library component: reverify_<name>, exported as reverify::<name> with a same-named ALIAS,
# hidden visibility, installed into its own export set (reverify-<name>-targets.cmake).
function(reverify_add_component name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_LINK;PRIVATE_LINK" ${ARGN})
  set(target reverify_${name})
  add_library(${target} ${ARG_SOURCES})
  add_library(reverify::${name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES
    EXPORT_NAME ${name}
    OUTPUT_NAME reverify_${name}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  target_compile_features(${target} PUBLIC cxx_std_17)
  target_include_directories(${target} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${target} PUBLIC reverify::reverify ${ARG_PUBLIC_LINK} PRIVATE ${ARG_PRIVATE_LINK})
  reverify_target_defaults(${target})
  set_property(GLOBAL APPEND PROPERTY REVERIFY_EXPORTED_COMPONENTS ${name})
  if(REVERIFY_INSTALL)
    install(TARGETS ${target} EXPORT reverify-${name}-targets
      ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
      LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
      RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
    install(EXPORT reverify-${name}-targets NAMESPACE reverify::
      DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/reverify)
    # A component's consumer-side dependencies: cmake/reverify-<name>-deps.cmake (find_dependency calls).
    if(EXISTS "${PROJECT_SOURCE_DIR}/cmake/reverify-${name}-deps.cmake")
      install(FILES "${PROJECT_SOURCE_DIR}/cmake/reverify-${name}-deps.cmake"
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/reverify)
    endif()
  endif()
endfunction()

# A test or example program built with our warnings and sanitizers.
function(reverify_add_program target)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK" ${ARGN})
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_LINK})
  reverify_target_defaults(${target})
endfunction()
