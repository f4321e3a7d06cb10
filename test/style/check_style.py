#!/usr/bin/env python3
"""check_style.py - the house rules that the compiler does not check.

  * no function body in lib/ or cmd/ longer than 80 lines, except those in
    test/style/long-functions.txt, each with its reason;
  * every function declared in a lib/ header is named ag_* and has a comment
    on the line(s) right above it;
  * every lib/ and cmd/ file opens with a comment;
  * includes never run up the layer order of lib/ (LAYERS below): a module
    includes only its own layer and the layers under it;
  * every lib/<layer>/<module>.c has its unit test, test/unit/test_<module>.c
    (or test_<layer>_<module>.c).

Prints one line per finding (file:line: what) and exits 1 when there is any.
The code style is the project's own (K&R with the function name at column 0
and the braces of a function body alone at column 0), so lines are enough.
"""
import os
import re
import sys

LAYERS = ["base", "format", "policy", "publish", "node", "platform", "verifier", "release", "k8s", "serve", "gate"]
MAX_LINES = 80
ROOT = os.environ.get("AG_STYLE_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sources(top, exts):
    for d, _, files in os.walk(os.path.join(ROOT, top)):
        for f in sorted(files):
            if f.endswith(exts):
                yield os.path.relpath(os.path.join(d, f), ROOT)


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read().split("\n")


def allow_list():
    allowed, problems = {}, []
    path = "test/style/long-functions.txt"
    if not os.path.exists(os.path.join(ROOT, path)):
        return allowed, problems
    for n, line in enumerate(read(path), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3 or len(parts[2]) < 10:
            problems.append(f"{path}:{n}: an entry needs 'file function reason' with a real reason")
            continue
        allowed[(parts[0], parts[1])] = parts[2]
    return allowed, problems


def function_lengths(path, lines):
    """(name, first line, body lines) of each function definition."""
    out = []
    for i, line in enumerate(lines):
        if line != "{" or i == 0:
            continue
        # The signature: back to the line at column 0 that has "name(".
        j = i - 1
        while j > 0 and not re.match(r"^[A-Za-z_]\w*\(", lines[j]):
            j -= 1
        m = re.match(r"^([A-Za-z_]\w*)\(", lines[j])
        if not m:
            continue
        k = i + 1
        while k < len(lines) and lines[k] != "}":
            k += 1
        out.append((m.group(1), j + 1, k - i - 1))
    return out


def check_lengths(findings):
    allowed, problems = allow_list()
    findings.extend(problems)
    seen = set()
    for path in list(sources("lib", ".c")) + list(sources("cmd", ".c")):
        for name, line, n in function_lengths(path, read(path)):
            if n <= MAX_LINES:
                continue
            if (path, name) in allowed:
                seen.add((path, name))
                continue
            findings.append(f"{path}:{line}: {name} is {n} lines (more than {MAX_LINES}): split it, "
                            "or add it to test/style/long-functions.txt with the reason")
    for key in set(allowed) - seen:
        findings.append(f"test/style/long-functions.txt: {key[0]} {key[1]} is not over {MAX_LINES} lines "
                        "(or gone): remove the entry")


def check_headers(findings):
    for path in sources("lib", ".h"):
        lines = read(path)
        for i, line in enumerate(lines):
            if line.startswith(("#", " ", "\t", "/*", " *", "}", "typedef")) or "(" not in line:
                continue
            if line.startswith(("struct ", "enum ", "union ")) and line.rstrip().endswith("{"):
                continue
            m = re.match(r"^[^()=]*?\b(\w+)\(", line)
            if not m:
                continue
            name = m.group(1)
            if name in ("__attribute__",):
                continue
            if not name.startswith("ag_"):
                findings.append(f"{path}:{i + 1}: public function {name} is not named ag_*")
            prev = lines[i - 1].rstrip() if i > 0 else ""
            if not prev.endswith("*/"):
                findings.append(f"{path}:{i + 1}: public function {name} has no comment on the line above")


def check_openings(findings):
    for path in list(sources("lib", (".c", ".h"))) + list(sources("cmd", (".c", ".h"))):
        if not read(path)[0].startswith("/*"):
            findings.append(f"{path}:1: the file does not open with a comment saying what it is")


INCLUDE = re.compile(r'^#include "([a-z0-9_]+)/[a-z0-9_]+\.h"')


def check_layers(findings):
    for path in sources("lib", (".c", ".h")):
        layer = path.split(os.sep)[1]
        if layer not in LAYERS:
            findings.append(f"{path}: lib/{layer} is not a layer (test/style/check_style.py LAYERS)")
            continue
        for i, line in enumerate(read(path)):
            if line.startswith('#include "') and not INCLUDE.match(line):
                findings.append(f"{path}:{i + 1}: includes a lib header without its layer: {line}")
                continue
            m = INCLUDE.match(line)
            if m and m.group(1) in LAYERS and LAYERS.index(m.group(1)) > LAYERS.index(layer):
                findings.append(f"{path}:{i + 1}: {layer} includes {m.group(1)}, a layer above it "
                                f"(order: {' < '.join(LAYERS)})")


def check_unit_tests(findings):
    for path in sources("lib", ".c"):
        layer, module = path.split(os.sep)[1], os.path.basename(path)[:-2]
        names = ("test/unit/test_%s.c" % module, "test/unit/test_%s_%s.c" % (layer, module))
        if not any(os.path.exists(os.path.join(ROOT, n)) for n in names):
            findings.append(f"{path}: no unit test ({names[0]})")


def main():
    findings = []
    check_unit_tests(findings)
    check_lengths(findings)
    check_headers(findings)
    check_openings(findings)
    check_layers(findings)
    for f in findings:
        print(f)
    print(f"check-style: {len(findings)} finding{'s' if len(findings) != 1 else ''}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
