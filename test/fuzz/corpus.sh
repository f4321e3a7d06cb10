# corpus.sh - sourced by the fuzz runners: fuzz_seed_corpus NAME DIR fills DIR
# with the seeds of target NAME: test/fuzz/corpus/NAME/ plus the files named
# in test/fuzz/seeds.txt (of ../shared/vectors, or with repo: of this
# repository).
fuzz_seed_corpus() {
	local name=$1 dir=$2 shared=${AG_SHARED:-../shared}
	mkdir -p "$dir"
	[ -d "test/fuzz/corpus/$name" ] && cp test/fuzz/corpus/"$name"/* "$dir/" 2>/dev/null
	grep -E "^$name[[:space:]]" test/fuzz/seeds.txt 2>/dev/null | while read -r _ pattern; do
		case $pattern in
		repo:*) glob=${pattern#repo:} ;;
		*) [ -d "$shared/vectors" ] || continue; glob=$shared/vectors/$pattern ;;
		esac
		# shellcheck disable=SC2086
		for f in $glob; do [ -f "$f" ] && cp "$f" "$dir/$(echo "$f" | tr / _)"; done
	done
	return 0
}
