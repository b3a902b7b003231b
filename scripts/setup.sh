#!/usr/bin/env bash
# Installs every Debian package CHIMA needs to build, test and run its demo.
# Idempotent: quiet when everything is present. Needs root (apt-get).
set -euo pipefail

packages=(
  # build
  cmake make g++ clang llvm pkg-config clang-format libclang-rt-14-dev
  libbpf-dev bpftool libelf-dev zlib1g-dev linux-libc-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  doctest-dev libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev
  libcurl4-openssl-dev libcpp-httplib-dev libssl-dev
  # run and test: every program the tools, scripts/, tests/, bench/ and examples/paper call
  # (coreutils, grep, sed, mawk and util-linux are in every Debian, even minbase)
  iproute2 iputils-ping ethtool jq tshark podman runc podman-compose python3
  prometheus file curl gnuplot-nox openssl
  # the runtime libraries of p4c's p4test and p4c-bm2-ss in ../shared/tools/p4c (its README),
  # which the unit tests run on the template and the merged programs
  libgc1 libboost-iostreams1.74.0 libprotobuf32
)

# The BPF filesystem: chima-net pins every switch and host client there. Some machines boot
# without it mounted; mount it once, as the kernel documents (root only, nothing else needs it).
if [ "$(id -u)" -eq 0 ] && ! mountpoint -q /sys/fs/bpf 2>/dev/null; then
  mkdir -p /sys/fs/bpf
  mount -t bpf bpf /sys/fs/bpf && echo "setup: mounted the BPF filesystem on /sys/fs/bpf" >&2
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: error: these packages are missing and installing them needs root: ${missing[*]}" >&2
  echo "setup: hint: run this script as root (sudo $0)" >&2
  exit 1
fi

echo "setup: installing ${#missing[@]} packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer once, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done" >&2
