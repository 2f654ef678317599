# ptagent-boot-check.service (contrib/systemd): into systemd's unit directory, from systemd.pc
# when there is one (/lib/systemd/system on Debian 12), else PREFIX/lib/systemd/system.
# PTAGENT_SYSTEMD_UNIT_DIR overrides both.
set(PTAGENT_SYSTEMD_UNIT_DIR "" CACHE PATH "where systemd units go (empty: from systemd.pc)")
set(_ptagent_unit_dir ${PTAGENT_SYSTEMD_UNIT_DIR})
if(NOT _ptagent_unit_dir)
  pkg_get_variable(_ptagent_unit_dir systemd systemdsystemunitdir)
endif()
if(NOT _ptagent_unit_dir)
  set(_ptagent_unit_dir ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()
configure_file(${PROJECT_SOURCE_DIR}/contrib/systemd/ptagent-boot-check.service.in
               ${PROJECT_BINARY_DIR}/systemd/ptagent-boot-check.service @ONLY)
set(PTAGENT_BOOT_CHECK_UNIT ${PROJECT_BINARY_DIR}/systemd/ptagent-boot-check.service)
install(FILES ${PTAGENT_BOOT_CHECK_UNIT} DESTINATION ${_ptagent_unit_dir})
