#!/usr/bin/env bash
# Installs from Debian's archive whatever snpemu needs and the machine lacks.  As root it runs apt-get; otherwise it
# prints the exact command to run.  Quiet when everything is present.
#   usage: deps.sh build   what building the library and the CLI needs, and what `make demo` runs (openssl)
#          deps.sh all     that, plus the test, fuzz and format tools (`make check`, `make asan`, ...)
#          deps.sh format  clang-format alone (`make format`, `make format-check`, which CI runs first)
set -euo pipefail

what=${1:-all}
case $what in
build | all | format) ;;
*)
	echo "usage: deps.sh build|all|format" >&2
	exit 2
	;;
esac

need=()
have_header() { [ -e "/usr/include/$1" ] || [ -e "/usr/include/x86_64-linux-gnu/$1" ]; }
# libFuzzer's runtime where this clang looks for it (lib/linux/ up to LLVM 15, lib/<target triple>/ since 16).
have_fuzzer_rt() {
	local dir
	dir=$(clang -print-resource-dir 2>/dev/null) || return 1
	ls "$dir"/lib/*/libclang_rt.fuzzer*.a >/dev/null 2>&1
}

# The library, the CLI and the guest programs it carries; openssl is the demo's independent checker.
need_build() {
	command -v make >/dev/null || need+=(make)
	command -v gcc >/dev/null || need+=(gcc)
	command -v pkg-config >/dev/null || need+=(pkg-config)
	command -v openssl >/dev/null || need+=(openssl)
	have_header openssl/evp.h || need+=(libssl-dev)
	have_header linux/kvm.h || need+=(linux-libc-dev)
	have_header json-c/json.h || need+=(libjson-c-dev)
	# The migration stream's digest (XXH3-128).
	have_header xxhash.h || need+=(libxxhash-dev)
	# The tcg backend's CPU emulator (QEMU's TCG as a library); without it the build leaves the backend out.
	have_header unicorn/unicorn.h || need+=(libunicorn-dev)
	# The local KDS: libmicrohttpd (server) and libcurl (the verifier's client).
	have_header microhttpd.h || need+=(libmicrohttpd-dev)
	have_header curl/curl.h || need+=(libcurl4-openssl-dev)
	# snpemu tsm: the configfs-tsm filesystem (libfuse3) and fusermount3 / the FUSE device's userspace (fuse3).
	have_header fuse3/fuse.h || need+=(libfuse3-dev)
	command -v fusermount3 >/dev/null || need+=(fuse3)
}

need_format() {
	command -v clang-format >/dev/null || need+=(clang-format)
}

# The tests, the clang build, the fuzz targets and the sanitizers.
need_test() {
	command -v clang >/dev/null || need+=(clang)
	have_header cmocka.h || need+=(libcmocka-dev)
	command -v curl >/dev/null || need+=(curl) # tests/cli/test_kds.sh
	command -v ss >/dev/null || need+=(iproute2) # tests/cli/test_migrate.sh
	# libFuzzer and the sanitizer runtimes ship in clang's runtime package.
	have_fuzzer_rt || need+=(libclang-rt-dev)
}

case $what in
build) need_build ;;
format) need_format ;;
all)
	need_build
	need_format
	need_test
	;;
esac

[ ${#need[@]} -eq 0 ] && exit 0

cmd="apt-get update && apt-get install -y --no-install-recommends ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "snpemu needs: ${need[*]}" >&2
	echo "run as root:  $cmd" >&2
	exit 1
fi
echo "deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
