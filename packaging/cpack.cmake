# The .deb: `cpack -G DEB` in the build directory (included by CMakeLists.txt).
set(CPACK_PACKAGE_NAME copyscope)
set(CPACK_PACKAGE_CONTACT "copyscope developers <copyscope@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "see how Linux moves file data, traced with eBPF, against the textbook")
set(CPACK_PACKAGE_INSTALL_DIRECTORY copyscope)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "fonts-noto-cjk | fonts-wqy-microhei, default-jre-headless")

# The shared libraries come from dpkg-shlibdeps; CPack appends them to
# CPACK_DEBIAN_PACKAGE_DEPENDS, so this names only what the maintainer scripts
# run: setcap (libcap2-bin) and groupadd/groupdel (passwd, not Essential).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libcap2-bin, passwd")

# postinst gives the capture helper to group copyscope with its capabilities;
# postrm drops the group on purge. Strict permissions: 0755 whatever git says.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${CMAKE_CURRENT_LIST_DIR}/debian/postinst"
  "${CMAKE_CURRENT_LIST_DIR}/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

# Debian policy 12.3: man pages ship gzipped (copyscope.1.gz). Done on the staged
# files after CPack's install and before it packs them, so `cmake --install`
# is left alone; it fails the package if no man page was found.
set(COPYSCOPE_CPACK_GZIP_MAN "${CMAKE_BINARY_DIR}/cpack-gzip-man.cmake")
file(WRITE "${COPYSCOPE_CPACK_GZIP_MAN}" [=[
file(GLOB pages "${CPACK_TEMPORARY_DIRECTORY}${CPACK_PACKAGING_INSTALL_PREFIX}/share/man/man[1-9]/*.[1-9]")
if(NOT pages)
  message(FATAL_ERROR "copyscope: no man page under ${CPACK_TEMPORARY_DIRECTORY} to gzip")
endif()
foreach(page IN LISTS pages)
  execute_process(COMMAND gzip -9nf "${page}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "copyscope: gzip ${page} failed (${rc})")
  endif()
endforeach()
]=])
set(CPACK_PRE_BUILD_SCRIPTS "${COPYSCOPE_CPACK_GZIP_MAN}")

include(CPack)
