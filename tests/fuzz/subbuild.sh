# Sourced by sanitize.sh and libfuzzer.sh: a second build of this tree,
# configured with other flags, in $PB_TOP_BUILDDIR/tests/fuzz/<name>/.
#
# Its sources are `make distdir` of this build (what a tarball ships), so
# that it works from an in-tree build as well as from a VPATH one (a
# configured source directory refuses a VPATH build). The build directory
# is kept between runs (make rebuilds what changed); `make clean` removes it.

: "${PB_TOP_SRCDIR:?run from make check}" "${PB_TOP_BUILDDIR:?}" "${MAKE:=make}"
# scripts/test.sh sets it for distcheck: these builds are of `make distdir`
# already, and ran in the make check before it
if [ -n "${PB_SKIP_SUBBUILDS:-}" ]; then
	echo "SKIP: PB_SKIP_SUBBUILDS is set (the second builds ran in the make check before)"
	exit 77
fi
# a make of its own, not the suite's jobserver
unset MAKEFLAGS MFLAGS MAKELEVEL
pb_jobs=${PB_SUBBUILD_JOBS:-2}

# pb_subbuild NAME CONFIGURE-ARGS...: prepares $pb_work/build, configured
pb_subbuild()
{
	local name=$1 stamp
	shift
	pb_work=$PB_TOP_BUILDDIR/tests/fuzz/$name
	mkdir -p "$pb_work" || return 1
	if ! $MAKE -s -C "$PB_TOP_BUILDDIR" distdir distdir="$pb_work/src" \
		>"$pb_work/distdir.log" 2>&1; then
		echo "FAIL: make distdir for the $name build:"
		tail -20 "$pb_work/distdir.log"
		return 1
	fi
	# configure again only when its arguments changed
	stamp="$*"
	mkdir -p "$pb_work/build"
	if [ ! -f "$pb_work/build/Makefile" ] ||
		[ "$(cat "$pb_work/build/.pb-configured" 2>/dev/null)" != "$stamp" ]; then
		echo "configuring the $name build: $*"
		if ! (cd "$pb_work/build" && "$pb_work/src/configure" "$@") \
			>"$pb_work/configure.log" 2>&1; then
			echo "FAIL: configure for the $name build:"
			tail -20 "$pb_work/configure.log"
			return 1
		fi
		printf '%s' "$stamp" >"$pb_work/build/.pb-configured"
	fi
}
