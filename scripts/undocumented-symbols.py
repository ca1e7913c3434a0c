#!/usr/bin/env python3
"""Lists the public symbols of this package that have no doc comment.

Usage: scripts/undocumented-symbols.py PACKAGE_ROOT SYMBOL_GRAPH_DIR...

Reads every `*.symbols.json` in the folders given (from `swift package dump-symbol-graph` or
`swift symbolgraph-extract`) and prints `file:line: kind name` for each public or open symbol
declared in PACKAGE_ROOT/Sources/ without a `///` comment of its own, sorted by file and line,
then a count per module. Symbols that the compiler synthesises (Codable, Equatable, Hashable,
RawRepresentable members nobody wrote) or that come from other packages (protocol default
implementations) have no location in Sources/ and are not counted. Exits 1 if any symbol is
listed, 0 otherwise. Standard library only.
"""

import glob
import json
import os
import sys
from collections import Counter
from urllib.parse import unquote, urlparse


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    sources = os.path.join(os.path.realpath(argv[1]), "Sources") + os.sep
    graphs = [path for folder in argv[2:] for path in sorted(glob.glob(os.path.join(folder, "*.symbols.json")))]
    if not graphs:
        print(f"undocumented-symbols: no symbol graphs in {' '.join(argv[2:])}", file=sys.stderr)
        return 2

    seen = set()
    documented, missing = Counter(), []
    for graph_path in graphs:
        with open(graph_path, encoding="utf-8") as handle:
            graph = json.load(handle)
        for symbol in graph.get("symbols", []):
            if symbol.get("accessLevel") not in ("public", "open"):
                continue
            location = symbol.get("location")
            if not location:
                continue  # synthesised by the compiler
            path = os.path.realpath(unquote(urlparse(location["uri"]).path))
            if not path.startswith(sources):
                continue  # declared in another package (a protocol's default implementation)
            relative = os.path.relpath(path, os.path.dirname(sources.rstrip(os.sep)))
            module = relative.split(os.sep)[1]
            line = location["position"]["line"] + 1
            name = ".".join(symbol["pathComponents"])
            key = (relative, line, name)
            if key in seen:
                continue
            seen.add(key)
            comment = symbol.get("docComment") or {}
            if any(entry.get("text", "").strip() for entry in comment.get("lines", [])):
                documented[module] += 1
            else:
                missing.append((relative, line, symbol["kind"]["identifier"].removeprefix("swift."), name, module))

    missing.sort()
    for relative, line, kind, name, _ in missing:
        print(f"{relative}:{line}: {kind} {name}")
    undocumented = Counter(entry[4] for entry in missing)
    for module in sorted(set(documented) | set(undocumented)):
        total = documented[module] + undocumented[module]
        print(f"  {module}: {documented[module]} of {total} public symbols documented"
              + (f", {undocumented[module]} not" if undocumented[module] else ""))
    if missing:
        print(f"undocumented-symbols: {len(missing)} public symbols without a doc comment")
        return 1
    print("undocumented-symbols: every public symbol has a doc comment")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
