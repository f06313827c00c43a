# Debian packages beacon-agent, beacon-collector and beaconctl through CPack's DEB generator
# (scripts/package runs it; docs/install.md). One CPack component per program: the executable
# (installed by beacon_component in the top CMakeLists.txt) plus what packaging/ holds for it.
# The packaging-only files are EXCLUDE_FROM_ALL, so a plain `cmake --install build` still
# installs only the three executables, as it did before packages existed.
include(GNUInstallDirs)

set(pkg_dir ${CMAKE_CURRENT_LIST_DIR})
set(pkg_gen ${PROJECT_BINARY_DIR}/packaging)
# Debian bookworm keeps units in /lib/systemd/system (dh_installsystemd does too); merged-/usr
# systems resolve it to /usr/lib/systemd/system either way.
set(pkg_unit_dir /lib/systemd/system)

# The packaged collector.yaml is config/collector.yaml with the admin token read from the file
# the postinst generates instead of an environment variable nobody sets under systemd.
file(READ ${PROJECT_SOURCE_DIR}/config/collector.yaml collector_yaml)
set(token_env_line "  admin_token_env: BEACON_ADMIN_TOKEN\n")
string(FIND "${collector_yaml}" "${token_env_line}" token_env_at)
if(token_env_at EQUAL -1)
  message(FATAL_ERROR "config/collector.yaml no longer has '${token_env_line}': update "
                      "packaging/Packaging.cmake, which replaces it for the package")
endif()
string(REPLACE "${token_env_line}" "  admin_token_file: /etc/beacon/admin.token\n"
               collector_yaml "${collector_yaml}")
string(REPLACE "  # (This example reads the environment variable; no default.)\n"
               "  # (The package reads the file its postinst creates once.)\n" collector_yaml
               "${collector_yaml}")
file(CONFIGURE OUTPUT ${pkg_gen}/collector.yaml CONTENT "${collector_yaml}" @ONLY)

# Maintainer scripts: packaging/maint/<script>.in with the shell functions of
# packaging/maint/common.sh pasted in (@BEACON_MAINT_COMMON@), so both daemon packages share
# one copy of the user, directory and systemd code.
file(READ ${pkg_dir}/maint/common.sh BEACON_MAINT_COMMON)
foreach(component agent collector)
  foreach(script postinst prerm postrm)
    configure_file(${pkg_dir}/maint/${component}.${script}.in
                   ${pkg_gen}/${component}/${script} @ONLY FILE_PERMISSIONS OWNER_READ
                   OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  endforeach()
endforeach()
file(CONFIGURE OUTPUT ${pkg_gen}/agent/conffiles CONTENT "/etc/beacon/agent.yaml\n")
file(CONFIGURE OUTPUT ${pkg_gen}/collector/conffiles
     CONTENT "/etc/beacon/collector.yaml\n/etc/logrotate.d/beacon-collector\n")

# Per-package documentation: copyright and a compressed changelog (Debian policy 12.5, 12.7),
# made at configure time so that scripts/package --no-build needs no build step.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${pkg_dir}/doc/changelog ${pkg_dir}/doc/copyright ${pkg_dir}/maint/common.sh
             ${PROJECT_SOURCE_DIR}/config/collector.yaml)
file(MAKE_DIRECTORY ${pkg_gen}/doc)
# gzip -n: no name or time stamp inside, so the file is reproducible (lintian checks it).
execute_process(COMMAND gzip -9nc ${pkg_dir}/doc/changelog
                OUTPUT_FILE ${pkg_gen}/doc/changelog.gz COMMAND_ERROR_IS_FATAL ANY)

macro(beacon_package_docs component pkg)
  install(FILES ${pkg_dir}/doc/copyright ${pkg_gen}/doc/changelog.gz
          DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${pkg} COMPONENT ${component} EXCLUDE_FROM_ALL)
endmacro()

# beacon-agent
install(FILES ${PROJECT_SOURCE_DIR}/config/agent.yaml DESTINATION /etc/beacon
        COMPONENT agent EXCLUDE_FROM_ALL)
install(FILES ${pkg_dir}/systemd/beacon-agent.service DESTINATION ${pkg_unit_dir}
        COMPONENT agent EXCLUDE_FROM_ALL)
install(FILES ${pkg_dir}/systemd/restore.conf DESTINATION ${CMAKE_INSTALL_DATADIR}/beacon-agent
        COMPONENT agent EXCLUDE_FROM_ALL)
beacon_package_docs(agent beacon-agent)

# beacon-collector
install(FILES ${pkg_gen}/collector.yaml DESTINATION /etc/beacon
        COMPONENT collector EXCLUDE_FROM_ALL)
install(FILES ${pkg_dir}/systemd/beacon-collector.service DESTINATION ${pkg_unit_dir}
        COMPONENT collector EXCLUDE_FROM_ALL)
install(FILES ${pkg_dir}/logrotate/beacon-collector DESTINATION /etc/logrotate.d
        COMPONENT collector EXCLUDE_FROM_ALL)
beacon_package_docs(collector beacon-collector)

# beaconctl
beacon_package_docs(ctl beaconctl)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME beacon)
set(CPACK_PACKAGE_VENDOR "Beacon")
# Also in packaging/doc/changelog. The project has no mail domain: example.com is a placeholder.
set(CPACK_PACKAGE_CONTACT "Beacon maintainers <beacon@example.com>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_COMPONENTS_ALL agent collector ctl)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
# Directories in the data archive get 0755 like dpkg-deb would give them.
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
    GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

set(CPACK_DEBIAN_AGENT_PACKAGE_NAME beacon-agent)
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_NAME beacon-collector)
set(CPACK_DEBIAN_CTL_PACKAGE_NAME beaconctl)
# The maintainer scripts use adduser (system users) and deb-systemd-helper (init-system-helpers).
set(CPACK_DEBIAN_AGENT_PACKAGE_DEPENDS "adduser, init-system-helpers (>= 1.56)")
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_DEPENDS "adduser, init-system-helpers (>= 1.56)")
# tzdata: beaconctl and alert messages print times in IANA zones (common/timezone.cpp).
set(CPACK_DEBIAN_CTL_PACKAGE_DEPENDS "tzdata")
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_RECOMMENDS "logrotate, tzdata, beaconctl")
set(CPACK_DEBIAN_AGENT_PACKAGE_SUGGESTS "beaconctl")
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_EXTRA
    ${pkg_gen}/agent/conffiles ${pkg_gen}/agent/postinst ${pkg_gen}/agent/prerm
    ${pkg_gen}/agent/postrm)
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_CONTROL_EXTRA
    ${pkg_gen}/collector/conffiles ${pkg_gen}/collector/postinst ${pkg_gen}/collector/prerm
    ${pkg_gen}/collector/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# Descriptions: a summary line, then the extended description (lines under 80 columns).
string(CONCAT CPACK_COMPONENT_AGENT_DESCRIPTION
       "Beacon host agent: metrics, events, file integrity and backups\n"
       "beacon-agent runs on every host. Its inputs gather system metrics,\n"
       "listening ports, file integrity changes and JMX values; a durable spool\n"
       "ships them to beacon-collector. It backs up closed files to OSS, S3 or a\n"
       "local store and restores them on request. The systemd unit runs it as\n"
       "the system user beacon-agent with CAP_DAC_READ_SEARCH.")
string(CONCAT CPACK_COMPONENT_COLLECTOR_DESCRIPTION
       "Beacon collector: ingest, alerts, backup catalog and query API\n"
       "beacon-collector stores the agents' batches in SQLite, routes alerts from\n"
       "agents, Zabbix and Splunk to WeCom, Splunk HEC, console or file receivers,\n"
       "keeps the backup catalog and serves the API that beaconctl uses.")
string(CONCAT CPACK_COMPONENT_CTL_DESCRIPTION
       "Beacon operator command line\n"
       "beaconctl talks to beacon-collector's API: host status, events, agent\n"
       "tokens, backups and restores, alerts and silences, and the Zabbix external\n"
       "checks.")

# scripts/package --version V: the version comes from the environment at cpack time, so one
# build makes the packages of any version (the upgrade test builds two).
file(WRITE ${pkg_gen}/CPackProjectConfig.cmake [=[
if(DEFINED ENV{BEACON_PACKAGE_VERSION} AND NOT "$ENV{BEACON_PACKAGE_VERSION}" STREQUAL "")
  set(CPACK_PACKAGE_VERSION "$ENV{BEACON_PACKAGE_VERSION}")
  set(CPACK_DEBIAN_PACKAGE_VERSION "$ENV{BEACON_PACKAGE_VERSION}")
endif()
]=])
set(CPACK_PROJECT_CONFIG_FILE ${pkg_gen}/CPackProjectConfig.cmake)

include(CPack)
