#!/usr/bin/env bash
# Installs what sluice needs from Debian packages (only what is missing) and
# builds it into ./build.  Used by demo.sh, test.sh and the benchmarks.
#   SLUICE_WERROR=1   build with -Dwerror=true (CI)
#   SLUICE_BUILD=DIR  build directory (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS="gcc pkg-config meson ninja-build libdpdk-dev dpdk-dev libnuma-dev libpcap-dev
      libcmocka-dev python3 iproute2 procps tcpreplay nftables conntrack ethtool python3-scapy"
missing=""
# The VXLAN interop tests ping through kernel vxlan devices in namespaces.
PKGS="$PKGS iputils-ping ethtool"
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing:$missing"
	SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

BUILD=${SLUICE_BUILD:-build}
opts=()
[ "${SLUICE_WERROR:-0}" = 1 ] && opts+=(-Dwerror=true)
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "${opts[@]}" >/dev/null
elif [ ${#opts[@]} -gt 0 ]; then
	meson configure "$BUILD" "${opts[@]}" >/dev/null
fi
ninja -C "$BUILD" -j "$(nproc)"
