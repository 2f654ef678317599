# Shell completion from one source, contrib/completion/ptagent.bash: installed as bash's, and
# wrapped for zsh (its bashcompinit runs bash completion functions), so both shells complete
# the same words. The zsh file is written at configure time; editing the bash file re-runs it.
set(PTAGENT_BASH_COMPLETION ${PROJECT_SOURCE_DIR}/contrib/completion/ptagent.bash)
set(PTAGENT_ZSH_COMPLETION ${PROJECT_BINARY_DIR}/completion/_ptagent)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PTAGENT_BASH_COMPLETION})
file(READ ${PTAGENT_BASH_COMPLETION} _ptagent_bash)
set(_ptagent_zsh_head [=[#compdef ptagent
# zsh completion for ptagent (/usr/share/zsh/vendor-completions/_ptagent), made by CMake from the
# bash completion below (contrib/completion/ptagent.bash), run through zsh's bashcompinit: one
# source for both shells. zsh autoloads this file as _ptagent at the first completion of ptagent;
# the bash code then defines _ptagent again and registers it with `complete`.
autoload -Uz bashcompinit && bashcompinit

]=])
set(_ptagent_zsh_tail [=[
# The first completion, the one that autoloaded this file (only inside a completion widget).
(( ${+compstate} )) && _bash_complete -F _ptagent
]=])
file(WRITE ${PTAGENT_ZSH_COMPLETION} "${_ptagent_zsh_head}${_ptagent_bash}${_ptagent_zsh_tail}")
install(FILES ${PTAGENT_BASH_COMPLETION} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME ptagent)
install(FILES ${PTAGENT_ZSH_COMPLETION} DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
