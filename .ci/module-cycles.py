#!/usr/bin/env python3
"""Fails if the modules of the core crate import each other in a cycle.

Cargo refuses cycles between crates; inside switchboard-core the order of docs/DESIGN.md
("Layers inside the core") is kept by this check: a top-level module's `crate::<module>`
paths (outside `#[cfg(test)]` code and comments) are its dependencies, and no set of
modules may depend on each other round.
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src-tauri", "core", "src")


def sources(module):
    single = os.path.join(ROOT, module + ".rs")
    if os.path.exists(single):
        return [single]
    return [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(ROOT, module)) for f in fs if f.endswith(".rs")]


def main():
    modules = sorted(
        m[:-3] if m.endswith(".rs") else m
        for m in os.listdir(ROOT)
        if m != "lib.rs" and (m.endswith(".rs") or os.path.isdir(os.path.join(ROOT, m)))
    )
    graph = {}
    for m in modules:
        deps = set()
        for path in sources(m):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            # Test code may reach anywhere; what ships may not.
            cut = text.find("#[cfg(test)]")
            if cut >= 0:
                text = text[:cut]
            for line in text.splitlines():
                if line.lstrip().startswith("//"):
                    continue
                deps.update(d for d in re.findall(r"crate::([a-z_]+)", line) if d != m and d in modules)
        graph[m] = deps

    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in modules:
        if v not in index:
            visit(v)
    for c in cycles:
        edges = [f"{a} -> {b}" for a in c for b in sorted(graph[a]) if b in c]
        print(f"CI: core modules in a cycle: {', '.join(c)} ({'; '.join(edges)})", file=sys.stderr)
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main())
