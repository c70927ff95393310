# Install rules (binary, generated man pages and completions) and the Debian package (CPack DEB).
include(GNUInstallDirs)
option(NETLAB_INSTALL_SYMLINKS "Install a link per subcommand (udp-send -> netlab), as netlab --install makes" OFF)
set(NETLAB_PACKAGE_MAINTAINER "netlab maintainers <netlab@localhost>" CACHE STRING "Maintainer field of the .deb")

# Man pages and completions come from the built binary's own parsers, so they follow every option change.
set(NETLAB_DOC_DIR ${CMAKE_BINARY_DIR}/doc)
add_custom_command(OUTPUT ${NETLAB_DOC_DIR}/commands.txt
  COMMAND ${CMAKE_COMMAND} -DNETLAB=$<TARGET_FILE:netlab> -DOUT=${NETLAB_DOC_DIR}
          -P ${CMAKE_CURRENT_LIST_DIR}/generate_docs.cmake
  DEPENDS netlab ${CMAKE_CURRENT_LIST_DIR}/generate_docs.cmake
  COMMENT "Generating man pages and completions with netlab --man and --completion"
  VERBATIM)
add_custom_target(netlab_docs ALL DEPENDS ${NETLAB_DOC_DIR}/commands.txt)

install(TARGETS netlab RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${NETLAB_DOC_DIR}/man1/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 FILES_MATCHING PATTERN "*.1")
install(FILES ${NETLAB_DOC_DIR}/completion/netlab DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
# Debian's zsh looks in vendor-completions for packaged functions.
install(FILES ${NETLAB_DOC_DIR}/completion/_netlab DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
if(NETLAB_INSTALL_SYMLINKS)
  # Relative links, so that they still point at netlab under DESTDIR or in a package; man udp-send too.
  install(CODE "
    file(STRINGS \"${NETLAB_DOC_DIR}/commands.txt\" names)
    set(bin \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
    set(man \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_MANDIR}/man1\")
    foreach(name IN LISTS names)
      message(STATUS \"Installing: \${bin}/\${name} -> netlab\")
      file(CREATE_LINK netlab \"\${bin}/\${name}\" SYMBOLIC)
      file(CREATE_LINK netlab-\${name}.1 \"\${man}/\${name}.1\" SYMBOLIC)
    endforeach()")
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME netlab)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "learn and test Linux network programming")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
       "One busybox-style program whose subcommands are the programs of a socket\n"
       "programming tutorial: UDP score records, broadcast, multicast, a TCP time\n"
       "stamp server and client, a pre-forked process pool and TFTP, done correctly\n"
       "and scriptable. With man pages and bash and zsh completion.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${NETLAB_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
if(NETLAB_STATIC AND NOT NETLAB_SANITIZE AND NOT NETLAB_FUZZ)
  # A static-pie netlab links no shared library, so dpkg-shlibdeps finds nothing; but getaddrinfo
  # still loads glibc's NSS modules at run time, and those must come from the glibc it was linked
  # with: the same upstream release.
  execute_process(COMMAND getconf GNU_LIBC_VERSION OUTPUT_VARIABLE netlab_glibc OUTPUT_STRIP_TRAILING_WHITESPACE)
  string(REGEX MATCH "([0-9]+)\\.([0-9]+)" netlab_glibc "${netlab_glibc}")
  math(EXPR netlab_glibc_next "${CMAKE_MATCH_2} + 1")
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6 (>= ${netlab_glibc}), libc6 (<< ${CMAKE_MATCH_1}.${netlab_glibc_next})")
else()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON) # Depends from dpkg-shlibdeps (dpkg-dev): libc6 only
endif()
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "bash-completion, man-db") # tab completion and man netlab-udp-recv
include(CPack)
