# Man pages generated at build time from the binaries' --help by help2man (contrib/make-man.sh),
# one source for both; ptagent.conf(5) from the keys `ptagent hook --help` lists. Without help2man the build goes on without them (and installs none).
find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(PTAGENT_MAN_DIR ${PROJECT_BINARY_DIR}/man)
  file(MAKE_DIRECTORY ${PTAGENT_MAN_DIR})
  set(PTAGENT_MAN_SCRIPT ${PROJECT_SOURCE_DIR}/contrib/make-man.sh)
  add_custom_command(OUTPUT ${PTAGENT_MAN_DIR}/ptagent.8
    COMMAND bash ${PTAGENT_MAN_SCRIPT} ptagent $<TARGET_FILE:ptagent> ${PTAGENT_MAN_DIR}/ptagent.8
    DEPENDS ptagent ${PTAGENT_MAN_SCRIPT} ${PROJECT_SOURCE_DIR}/docs/man/ptagent.h2m
    COMMENT "help2man: ptagent.8" VERBATIM)
  add_custom_command(OUTPUT ${PTAGENT_MAN_DIR}/ptagent-hook.8
    COMMAND bash ${PTAGENT_MAN_SCRIPT} ptagent-hook $<TARGET_FILE:ptagent-hook>
            ${PTAGENT_MAN_DIR}/ptagent-hook.8
    DEPENDS ptagent-hook ${PTAGENT_MAN_SCRIPT} ${PROJECT_SOURCE_DIR}/docs/man/ptagent-hook.h2m
    COMMENT "help2man: ptagent-hook.8" VERBATIM)
  add_custom_command(OUTPUT ${PTAGENT_MAN_DIR}/ptagent.conf.5
    COMMAND bash ${PTAGENT_MAN_SCRIPT} ptagent.conf $<TARGET_FILE:ptagent> ${PTAGENT_MAN_DIR}/ptagent.conf.5
    DEPENDS ptagent ${PTAGENT_MAN_SCRIPT} ${PROJECT_SOURCE_DIR}/docs/man/ptagent.conf.h2m
    COMMENT "help2man: ptagent.conf.5" VERBATIM)
  add_custom_target(man ALL DEPENDS ${PTAGENT_MAN_DIR}/ptagent.8 ${PTAGENT_MAN_DIR}/ptagent-hook.8
                                    ${PTAGENT_MAN_DIR}/ptagent.conf.5)
  install(FILES ${PTAGENT_MAN_DIR}/ptagent.8 ${PTAGENT_MAN_DIR}/ptagent-hook.8
          DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
  install(FILES ${PTAGENT_MAN_DIR}/ptagent.conf.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
else()
  message(STATUS "help2man not found: no man pages (apt-get install help2man)")
endif()
