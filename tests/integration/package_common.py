"""Builds the Debian packages for test_packages and test_ansible_role with scripts/package from
the build directory that holds the programs under test (BEACON_AGENT's), without building."""
import os
import subprocess
import threading

from harness import AGENT

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PACKAGES = ("beacon-agent", "beacon-collector", "beaconctl")


def build_dir():
    # BEACON_AGENT is <build>/agent/beacon-agent.
    return os.path.dirname(os.path.dirname(os.path.abspath(AGENT)))


def build_packages(out, version=None):
    """Runs scripts/package --no-build into `out`; returns {package name: .deb path}."""
    argv = [os.path.join(REPO, "scripts", "package"), "--no-build", "--out", out]
    if version:
        argv += ["--version", version]
    env = dict(os.environ, BEACON_BUILD_DIR=build_dir())
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise AssertionError(f"scripts/package failed ({proc.returncode}):\n{proc.stderr}")
    debs = {}
    for path in proc.stdout.split():
        name = os.path.basename(path).split("_")[0]
        debs[name] = path
    if sorted(debs) != sorted(PACKAGES):
        raise AssertionError(f"scripts/package made {sorted(debs)}, want {sorted(PACKAGES)}")
    return debs


def start_build(out, version=None):
    """build_packages in the background (two CPack runs overlap): call the result to wait."""
    result = {}

    def run():
        try:
            result["debs"] = build_packages(out, version)
        except AssertionError as e:  # re-raised in the caller's thread
            result["error"] = e

    thread = threading.Thread(target=run)
    thread.start()

    def wait():
        thread.join()
        if "error" in result:
            raise result["error"]
        return result["debs"]
    return wait
