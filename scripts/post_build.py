#!/usr/bin/env python3
"""Trunk's post-build hook: shrinks the release wasm and seals the page.

Run by trunk (Trunk.toml [[hooks]]) in its staging directory, before the
build is copied to dist/:

1. Release builds only: binaryen's wasm-opt over both wasm modules (the
   page's -Oz, the worker's -O3), repeated
   until it shrinks no more (--converge: about 1 KB gzip less; from
   tools/node_modules, installed by scripts/setup.sh; Debian's binaryen 108
   cannot read the reference-types code our rustc emits), then the wasm's
   integrity hash in index.html is written again (trunk hashed the
   unoptimised file).
2. Every build: a Content-Security-Policy <meta> that allows only the
   page's own files, WebAssembly compilation, and the inline scripts (trunk's module
   loader, index.html's boot script) by their hashes: no other origin and no
   other inline code.
3. Every build: what a visitor downloads, file by file and in all, gzip -9
   (the figure the page's size is judged by), printed: the first load, and
   apart the worker the page fetches on first use.
"""

import base64
import glob
import gzip
import hashlib
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WASM_OPT = os.path.join(ROOT, "tools", "node_modules", "binaryen", "bin", "wasm-opt")
# The features rustc enables for wasm32-unknown-unknown; wasm-opt must keep
# them (and may use no others: every browser we support has these).
FEATURES = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
]


def digest(algorithm, data):
    return base64.b64encode(hashlib.new(algorithm, data).digest()).decode()


def optimise(staging, html):
    """wasm-opt over both modules (the page's and its worker's); the page's
    integrity hash written again (the worker is not in index.html: the page
    loads it by name, on first use)."""
    wasms = sorted(glob.glob(os.path.join(staging, "*_bg.wasm")))
    if not os.path.exists(WASM_OPT):
        sys.exit(f"post_build: {WASM_OPT} is missing: run scripts/setup.sh build")
    (page,) = [w for w in wasms if os.path.basename(w) in html]
    for wasm in wasms:
        # The page's module for size (every visitor downloads it); the
        # worker's for speed (it counts; fetched on first use).
        level = "-Oz" if wasm == page else "-O3"
        before = os.path.getsize(wasm)
        subprocess.run(
            [WASM_OPT, level, "--converge", "--strip-debug", "--strip-producers", *FEATURES, wasm, "-o", wasm],
            check=True,
        )
        after = os.path.getsize(wasm)
        print(f"post_build: wasm-opt {level} {os.path.basename(wasm)} {before} -> {after} bytes")
    with open(page, "rb") as f:
        integrity = "sha384-" + digest("sha384", f.read())
    name = re.escape(os.path.basename(page))
    html, count = re.subn(
        r'(href="[^"]*' + name + r'"[^>]*integrity=")[^"]*(")', r"\g<1>" + integrity + r"\2", html
    )
    if count != 1:
        sys.exit(f"post_build: expected one integrity attribute for {page}, found {count}")
    return html


def seal(html):
    # Inline scripts: trunk's module loader and index.html's own boot script.
    scripts = re.findall(r"<script(?: type=\"module\")?>(.*?)</script>", html, re.S)
    hashes = " ".join(f"'sha256-{digest('sha256', s.encode())}'" for s in scripts)
    policy = "; ".join(
        [
            "default-src 'none'",
            f"script-src 'self' 'wasm-unsafe-eval' {hashes}",
            # Yew writes style attributes (positions, widths).
            "style-src 'self' 'unsafe-inline'",
            # data: and blob: for the timeline's PNG export.
            "img-src 'self' data: blob:",
            "connect-src 'self'",
            # The embed dialog's live preview is the page itself.
            "frame-src 'self'",
            "manifest-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}" />'
    if 'http-equiv="Content-Security-Policy"' in html:
        sys.exit("post_build: index.html already has a Content-Security-Policy")
    return html.replace("<meta charset=\"utf-8\" />", "<meta charset=\"utf-8\" />\n    " + meta, 1)


def report_sizes(staging, html):
    """What a visitor downloads, gzip -9: the first load (index.html and the
    files it names) and, apart, the worker fetched on first use."""
    first, later = [], []
    for path in sorted(glob.glob(os.path.join(staging, "*"))):
        if os.path.isfile(path):
            with open(path, "rb") as f:
                data = f.read()
            base = os.path.basename(path)
            name = re.sub(r"-[0-9a-f]{15,16}", "", base)
            loaded_first = base == "index.html" or base in html
            (first if loaded_first else later).append((name, len(data), len(gzip.compress(data, 9))))
    for label, sizes in (("first load", first), ("worker, on first use", later)):
        total = sum(packed for _, _, packed in sizes)
        files = ", ".join(f"{name} {packed / 1024:.1f} KB" for name, _, packed in sizes)
        print(f"post_build: {label} {total / 1024:.1f} KB gzip -9 ({files})")


def main():
    staging = os.environ["TRUNK_STAGING_DIR"]
    index = os.path.join(staging, "index.html")
    with open(index) as f:
        html = f.read()
    if os.environ.get("TRUNK_PROFILE") == "release":
        html = optimise(staging, html)
    html = seal(html)
    with open(index, "w") as f:
        f.write(html)
    report_sizes(staging, html)


if __name__ == "__main__":
    main()
