#!/usr/bin/env bash
# Installs every Debian package copyscope needs to build, test and run.
# Idempotent: packages already present are left alone; `apt-get update` runs once,
# only when something is missing.
#
#   scripts/install-deps.sh                   build, test and run
#   scripts/install-deps.sh --kernel-matrix   also what tests/kernel-matrix/run needs
#                                             (qemu, debootstrap, ext4 image tools)
set -euo pipefail

packages=(
	build-essential cmake pkg-config git
	clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
	libimgui-dev libglfw3-dev libstb-dev libgl-dev
	nlohmann-json3-dev libcli11-dev libgtest-dev
	systemtap-sdt-dev liburing-dev
	xvfb xauth libgl1-mesa-dri fonts-noto-cjk fonts-dejavu-core
	default-jdk-headless
	iproute2 procps
	libcap2-bin jq curl
)

# tests/kernel-matrix/run: boots Debian's stock kernel under qemu in a debootstrapped
# root filesystem packed into ext4 images (mke2fs -d), and assembles JSON with jq.
kernel_matrix_packages=(
	qemu-system-x86 debootstrap debian-archive-keyring e2fsprogs xfsprogs wget jq
)

for arg in "$@"; do
	case "$arg" in
	--kernel-matrix) packages+=("${kernel_matrix_packages[@]}") ;;
	-h | --help)
		sed -n '2,9s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	*)
		echo "install-deps: unknown option '$arg' (see --help)" >&2
		exit 2
		;;
	esac
done

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo -E "$0" "$@"
	fi
	echo "install-deps: must run as root (try: sudo $0)" >&2
	exit 2
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#packages[@]} packages present"
	exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
