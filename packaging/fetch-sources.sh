#!/bin/sh
# fetch-sources.sh DIR - puts the pinned Debian source packages of
# static-sources.txt (.dsc, .orig and .debian tarballs; the .orig is .tar.gz
# unless the pin says orig=tar.xz) into DIR and checks each against its
# pinned SHA-256.  Files already in DIR are reused when
# their digest matches (drop files there to build offline).  Missing ones are
# fetched with `apt-get source --download-only` through a private apt
# configuration under DIR/apt (deb-src lists of its own, never the
# machine's), from $AG_DEBIAN_MIRROR (default http://deb.debian.org).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
DIR=$1
MIRROR=${AG_DEBIAN_MIRROR:-http://deb.debian.org}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
mkdir -p "$DIR"

# name version [optional pin fields] -> the three file names
files_of() {
	up=${2%-*}; up=${up#*:} ext=tar.gz
	for o in "$@"; do case $o in orig=*) ext=${o#orig=} ;; esac; done
	echo "${1}_$2.dsc ${1}_$up.orig.$ext ${1}_$2.debian.tar.xz"
}
check() { # file sha -> 0 when the file is there with that digest
	[ -f "$DIR/$1" ] && [ "$(sha256sum "$DIR/$1" | cut -d' ' -f1)" = "$2" ]
}

want=""
while read -r name version dsc orig deb rest; do
	case $name in ''|'#'*) continue ;; esac
	# shellcheck disable=SC2046,SC2086
	set -- $(files_of "$name" "$version" $rest)
	check "$1" "$dsc" && check "$2" "$orig" && check "$3" "$deb" || want="$want $name=$version"
done <"$here/static-sources.txt"

if [ -n "$want" ]; then
	[ -r "$KEYRING" ] || { echo "fetch-sources: $KEYRING is missing (package debian-archive-keyring)" >&2; exit 2; }
	apt=$DIR/apt
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
	{
		echo "deb-src [signed-by=$KEYRING] $MIRROR/debian bookworm main"
		echo "deb-src [signed-by=$KEYRING] $MIRROR/debian-security bookworm-security main"
		echo "deb-src [signed-by=$KEYRING] $MIRROR/debian trixie main"
	} >"$apt/sources.list"
	set -- -o Dir::Etc::sourcelist="$apt/sources.list" -o Dir::Etc::sourceparts=- \
		-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" -o APT::Sandbox::User=root \
		-o Acquire::http::Timeout=60 -o Acquire::Retries=2
	echo "fetch-sources: apt-get source --download-only$want (private lists in $apt)" >&2
	if ! apt-get "$@" -qq update >"$apt/update.log" 2>&1; then
		echo "fetch-sources: apt-get update of the private source lists failed:" >&2
		tail -n 20 "$apt/update.log" >&2; exit 2
	fi
	# shellcheck disable=SC2086
	if ! (cd "$DIR" && apt-get "$@" -qq source --download-only $want) >"$apt/source.log" 2>&1; then
		echo "fetch-sources: apt-get source failed (is the version still on $MIRROR?):" >&2
		tail -n 20 "$apt/source.log" >&2
		echo "Provide the files of static-sources.txt in $DIR to build offline." >&2
		exit 2
	fi
fi

bad=0
while read -r name version dsc orig deb rest; do
	case $name in ''|'#'*) continue ;; esac
	# shellcheck disable=SC2046,SC2086
	set -- $(files_of "$name" "$version" $rest)
	for pair in "$1:$dsc" "$2:$orig" "$3:$deb"; do
		f=${pair%%:*} sum=${pair#*:}
		if ! check "$f" "$sum"; then
			got=absent; [ -f "$DIR/$f" ] && got=$(sha256sum "$DIR/$f" | cut -d' ' -f1)
			echo "fetch-sources: $f is $got, not the pinned $sum: refusing it" >&2
			bad=1
		fi
	done
done <"$here/static-sources.txt"
exit $bad
