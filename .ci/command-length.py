#!/usr/bin/env python3
"""Fails if a Tauri command grows past MAX lines.

A command parses its arguments, calls the core and maps the error (docs/DESIGN.md,
"The shell"); a workflow inside one is out of reach of `serve`, the CLI and the core's
tests. Counted from `fn` to its closing brace, blank lines and comments left out, so a
doc comment or a wrapped signature costs nothing.
"""
import glob
import os
import re
import sys

MAX = 20
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src-tauri", "desktop")


def commands(path):
    lines = open(path, encoding="utf-8").read().splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() != "#[tauri::command]":
            i += 1
            continue
        start = i
        while not re.match(r"\s*pub (async )?fn ", lines[start]):
            start += 1
        name = re.search(r"fn (\w+)", lines[start]).group(1)
        end = start
        while lines[end].rstrip() != "}":
            end += 1
        body = [l for l in lines[start : end + 1] if l.strip() and not l.strip().startswith("//")]
        yield name, start + 1, len(body)
        i = end + 1


def main():
    long = []
    for path in sorted(glob.glob(os.path.join(ROOT, "**", "*.rs"), recursive=True)):
        for name, line, n in commands(path):
            if n > MAX:
                long.append(f"{os.path.relpath(path, os.path.join(ROOT, '..', '..'))}:{line} {name}: {n} lines")
    if long:
        print(f"CI: Tauri commands over {MAX} lines (move the workflow into the core):", file=sys.stderr)
        print("\n".join(long), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
