#!/usr/bin/env bash
# Installs what tribench's tests and bundled sample suites need on a fresh Debian machine:
# bubblewrap (sandbox isolation), the toolchains of the six polyglot languages, and Slurm and
# munge (for the real Slurm test), from Debian's packages, and jest (for JavaScript exercises)
# from the npm registry into tools/js.
# Idempotent: when everything is present it installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have bwrap || need+=(bubblewrap)
have git || need+=(git)
have patch || need+=(patch)
have go || need+=(golang-go)
have cmake || need+=(cmake)
have make || need+=(make)
have c++ || need+=(g++)
have node || need+=(nodejs)
have npm || need+=(npm)
have javac || need+=(default-jdk-headless)
have dockerd || need+=(docker.io)
have debootstrap || need+=(debootstrap)
# Headless Chromium: the browser tests of `tribench view` drive it through playwright-core.
have chromium || need+=(chromium)
[ -f /usr/share/java/junit-platform-console-standalone.jar ] || need+=(junit5)
[ -f /usr/share/java/assertj-core.jar ] || need+=(libassertj-core-java)
# C++ exercises that use Boost.Date_Time (find_package(Boost COMPONENTS date_time)).
dpkg -s libboost-date-time-dev >/dev/null 2>&1 || need+=(libboost-date-time-dev)
/usr/bin/python3 -c 'import pytest' >/dev/null 2>&1 || need+=(python3-pytest)
# The real Slurm test (docs/scale.md): it starts munged, slurmctld and slurmd itself.
[ -x /usr/sbin/slurmctld ] && [ -x /usr/sbin/slurmd ] && have sbatch || need+=(slurm-wlm)
[ -x /usr/sbin/munged ] || need+=(munge)

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The Docker engine: started here when none answers (there is no registry: images are built
# locally, starting from a Debian base made by images/bootstrap-base.sh).
if ! docker info >/dev/null 2>&1; then
  echo "setup: starting dockerd (log: /tmp/tribench-dockerd.log)"
  $sudo sh -c 'nohup dockerd >/tmp/tribench-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not start; see /tmp/tribench-dockerd.log" >&2; exit 1; }
fi
$sudo images/bootstrap-base.sh

if [ ! -f tools/js/node_modules/jest/bin/jest.js ] || [ ! -f tools/js/node_modules/playwright-core/package.json ]; then
  echo "setup: installing jest, babel and playwright-core into tools/js"
  (cd tools/js && npm ci --no-audit --no-fund --loglevel=error)
fi

# scipy and statsmodels: reference values the statistics tests cross-check against.
if ! python3 -c 'import scipy, statsmodels' >/dev/null 2>&1; then
  echo "setup: installing scipy and statsmodels for python3"
  python3 -m pip install --quiet --disable-pip-version-check scipy statsmodels
fi

# The official SWE-bench grader (5.x): the SWE-bench tests grade the same logs with it and with
# ours and require identical verdicts.
if ! python3 -c 'import swebench.harness.grading' >/dev/null 2>&1; then
  echo "setup: installing the swebench package (5.x) for python3"
  python3 -m pip install --quiet --disable-pip-version-check 'swebench>=5,<6'
fi

if ! have cargo; then
  echo "setup: cargo is missing; tribench needs a Rust toolchain (1.85 or newer)" >&2
  exit 1
fi
