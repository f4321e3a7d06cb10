#!/usr/bin/env bash
# style.sh - `make check-style` (test/style/check_style.py): the repository
# passes, and each rule catches its violation in a small tree made here.
set -u
. "$(dirname "$0")/../lib/tap.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
CHECK="$REPO/test/style/check_style.py"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

t_exit 0 "the repository passes check-style" python3 "$CHECK"

mkdir -p "$W/lib/base" "$W/lib/format" "$W/lib/gate" "$W/lib/stuff" "$W/cmd" "$W/test/style"
{ echo "/* base/long.c - a long function. */"; echo "int"; echo "ag_long(void)"; echo "{"
  for i in $(seq 1 81); do echo "	(void)$i;"; done; echo "	return 0;"; echo "}"; } >"$W/lib/base/long.c"
printf '/* base/up.c - includes upwards. */\n#include "gate/gate.h"\n' >"$W/lib/base/up.c"
printf 'int x;\n' >"$W/lib/format/nocomment.c"
printf '/* base/api.h - an API. */\nint undocumented(void);\n/* Has a comment. */\nint ag_fine(void);\nint ag_bare(void);\n' >"$W/lib/base/api.h"
printf '/* stuff/x.c - not a layer. */\n' >"$W/lib/stuff/x.c"
printf '/* base/flat.c - a flat include. */\n#include "error.h"\n' >"$W/lib/base/flat.c"
printf 'lib/base/gone.c ag_gone gone since\nlib/base/long.c ag_long\n' >"$W/test/style/long-functions.txt"
t_exit 1 "a tree with violations fails" env AG_STYLE_ROOT="$W" python3 "$CHECK"
out=$T_OUT
t_grep "a function over 80 lines is found" "lib/base/long.c:3: ag_long is 82 lines" "$out"
t_grep "an allow-list entry without a reason is refused" "long-functions.txt:2: an entry needs" "$out"
t_grep "a stale allow-list entry is reported" "lib/base/gone.c ag_gone is not over 80 lines" "$out"
t_grep "an include up the layers is found" "lib/base/up.c:2: base includes gate" "$out"
t_grep "a file without its opening comment is found" "lib/format/nocomment.c:1: the file does not open" "$out"
t_grep "a public function not named ag_ is found" "undocumented is not named ag_" "$out"
t_grep "a public function without a comment is found" "lib/base/api.h:5: public function ag_bare has no comment" "$out"
t_grep "a folder that is no layer is found" "lib/stuff is not a layer" "$out"
t_grep "an include without its layer is found" "lib/base/flat.c:2: includes a lib header without its layer" "$out"
t_grep "a module without its unit test is found" "lib/base/long.c: no unit test \(test/unit/test_long.c\)" "$out"
printf 'lib/base/long.c ag_long generated table, one entry per line\n' >"$W/test/style/long-functions.txt"
env AG_STYLE_ROOT="$W" python3 "$CHECK" >"$W/out2" 2>&1
if grep -q "ag_long is" "$W/out2"; then t_not_ok "an allow-listed function with a reason passes" "$(cat "$W/out2")"; else t_ok "an allow-listed function with a reason passes"; fi
t_done
