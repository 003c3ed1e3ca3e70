#!/usr/bin/env bash
# One-time (idempotent) setup for a fresh Debian 12 machine.
#
# Installs the Debian packages the build needs and fetches the pinned abseil
# source package into third_party/abseil-cpp/src (git-ignored), which WORKSPACE
# points at. Nothing else is downloaded: Bazel itself never touches the network.
# A second run only verifies and finishes in seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

ABSL_VERSION="20220623.1"
ABSL_DEBIAN_REVISION="1+deb12u2"
ABSL_TARBALL="abseil_${ABSL_VERSION}.orig.tar.gz"
ABSL_SHA256="abfe2897f3a30edaa74bc34365afe3c2a3cd012091a97dc7e008f7016adcd5fe"
# Debian's packaging, for the one security fix we apply on top (CVE-2025-0838).
ABSL_DEBIAN_TARBALL="abseil_${ABSL_VERSION}-${ABSL_DEBIAN_REVISION}.debian.tar.xz"
ABSL_DEBIAN_SHA256="e08490fc7b6f3beca1925953b0c4fb92df2de5e2a01295e4641e2a3d4e528eeb"
ABSL_PATCHES=(CVE-2025-0838.patch)
ABSL_DIR="${ROOT}/third_party/abseil-cpp/src"

PACKAGES=(
  bazel-bootstrap bazel-skylib bazel-platforms
  googletest patch xz-utils
  clang-14 libfuzzer-14-dev libclang-rt-14-dev
  g++-mingw-w64-x86-64-posix gcc-mingw-w64-x86-64-posix
  wine64
)

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$p")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "Debian packages: all ${#PACKAGES[@]} present"
    return
  fi
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq || die "apt-get update failed (is Debian's archive reachable?)"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null || die "apt-get install failed for: ${missing[*]}"
}

fetch_abseil() {
  local stamp="${ABSL_VERSION}-${ABSL_DEBIAN_REVISION}"
  if [[ -f "${ABSL_DIR}/.tofu-version" ]] && [[ "$(cat "${ABSL_DIR}/.tofu-version")" == "${stamp}" ]]; then
    log "abseil ${stamp}: present in third_party/abseil-cpp/src"
    return
  fi
  local scratch
  scratch="$(mktemp -d)"
  trap 'rm -rf "${scratch}"' RETURN
  log "fetching the abseil ${stamp} source package from Debian's archive"
  mkdir -p "${scratch}/lists/partial" "${scratch}/parts"
  # A deb-src twin of the machine's own Debian entry; apt's own configuration is untouched.
  local sources=/etc/apt/sources.list.d/debian.sources
  [[ -f "${sources}" ]] || die "${sources} not found: is this Debian 12?"
  sed -n '1,/^$/p' "${sources}" | sed 's/^Types: deb$/Types: deb-src/' >"${scratch}/parts/src.sources"
  local opts=(-o "Dir::State::Lists=${scratch}/lists" -o "Dir::Etc::SourceList=/dev/null"
              -o "Dir::Etc::SourceParts=${scratch}/parts")
  apt-get "${opts[@]}" update -qq 2>/dev/null || die "could not read Debian's deb-src index"
  (cd "${scratch}" && apt-get "${opts[@]}" source --download-only -qq \
     "abseil=${ABSL_VERSION}-${ABSL_DEBIAN_REVISION}" 2>/dev/null) \
    || die "apt-get source abseil=${stamp} failed"
  printf '%s  %s\n' "${ABSL_SHA256}" "${scratch}/${ABSL_TARBALL}" \
    "${ABSL_DEBIAN_SHA256}" "${scratch}/${ABSL_DEBIAN_TARBALL}" | sha256sum -c --quiet - \
    || die "sha256 mismatch in the abseil source package"
  rm -rf "${ABSL_DIR}"
  mkdir -p "${ABSL_DIR}" "${scratch}/debian"
  tar -xzf "${scratch}/${ABSL_TARBALL}" -C "${ABSL_DIR}" --strip-components=1
  tar -xJf "${scratch}/${ABSL_DEBIAN_TARBALL}" -C "${scratch}/debian"
  for p in "${ABSL_PATCHES[@]}"; do
    patch -s -p1 -d "${ABSL_DIR}" <"${scratch}/debian/debian/patches/${p}" || die "patch ${p} failed"
  done
  echo "${stamp}" >"${ABSL_DIR}/.tofu-version"
  log "abseil ${stamp} unpacked into third_party/abseil-cpp/src (patched: ${ABSL_PATCHES[*]})"
}

install_packages
fetch_abseil
log "done"
