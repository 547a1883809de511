"""Compare two rendered report trees: the same pack before and after a change that must not change it.

    python scripts/compare_reports.py BASE NEW

For every file under BASE (and any only under NEW): HTML text after the volatile parts are normalised
(render times, the build log's durations, pandas' random table ids, run ids), embedded images by hash;
PDF page counts and each page's extracted text; every xlsx sheet's cell values and number formats. Other
files (executed notebooks, logs) are not compared. Prints the differences (at most a few per file) and
exits 1, or prints "equal" and exits 0. Needs pypdf and openpyxl (the dev requirements).
"""

from __future__ import annotations

import hashlib
import html
import re
import sys
from pathlib import Path

#: What changes between two renders of the same code and data, and what it is replaced with.
VOLATILE = [
    (re.compile(r"\b\d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}\b"), "<time>"),  # "Generated 05 Dec 2026 09:00"
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?"), "<timestamp>"),
    (re.compile(r"\bT_[0-9a-f]{5}(?=[_ \"'#.\w])"), "T_<id>"),  # pandas Styler's random uuid
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
]
_DATA_URI = re.compile(r"data:(image/[\w+.-]+);base64,([A-Za-z0-9+/=\s]+)")
_SVG_DATE = re.compile(r"<dc:date>[^<]*</dc:date>")
#: The front page's build log ("How this pack was built"): how long each step took.
_DURATIONS = re.compile(r"(assembled in |<td class='num'>)\d+\.\d+")


_BUILT = re.compile(r"How this pack was built.*?(?=<h2|<section|</body>|$)", re.S)


def normalise(text: str) -> str:
    """HTML text with its volatile parts replaced and embedded images reduced to a hash.

    Markup that reads the same is the same: entities are unescaped (``&#x27;`` and ``&#39;`` are one
    apostrophe), whitespace runs are one space, and each tag starts a line, so a page laid out by a template
    compares equal to the same page built from strings."""
    text = _DATA_URI.sub(lambda m: f"data:{m.group(1)};sha1={hashlib.sha1(m.group(2).encode()).hexdigest()}", text)
    text = _SVG_DATE.sub("<dc:date/>", text)
    text = re.sub(r"\s+", " ", html.unescape(text))
    text = re.sub(r">\s*<", ">\n<", text)
    text = _BUILT.sub(lambda m: _DURATIONS.sub(r"\1<seconds>", m.group(0)), text)
    for pattern, repl in VOLATILE:
        text = pattern.sub(repl, text)
    return text


def _first_diff(a: list[str], b: list[str], what: str) -> list[str]:
    out = []
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            out.append(f"{what} line {i + 1}: {x[:160]!r} != {y[:160]!r}")
            if len(out) >= 3:
                break
    if len(a) != len(b):
        out.append(f"{what}: {len(a)} lines != {len(b)} lines")
    return out


def compare_html(a: Path, b: Path) -> list[str]:
    x = normalise(a.read_text(encoding="utf-8")).splitlines()
    y = normalise(b.read_text(encoding="utf-8")).splitlines()
    return [] if x == y else _first_diff(x, y, "html") or ["html differs"]


def _pdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [normalise(p.extract_text() or "") for p in PdfReader(path).pages]


def compare_pdf(a: Path, b: Path) -> list[str]:
    x, y = _pdf_pages(a), _pdf_pages(b)
    if len(x) != len(y):
        return [f"pdf: {len(x)} pages != {len(y)} pages"]
    out = []
    for i, (p, q) in enumerate(zip(x, y, strict=True)):
        if p != q:
            out += [f"page {i + 1}: {d}" for d in _first_diff(p.splitlines(), q.splitlines(), "text")[:2]]
    return out[:6]


def _cells(path: Path) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        rows = []
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None or c.number_format != "General":
                    value = normalise(c.value) if isinstance(c.value, str) else c.value
                    rows.append((c.coordinate, value, c.number_format))
        out[ws.title] = rows
    return out


def compare_xlsx(a: Path, b: Path) -> list[str]:
    x, y = _cells(a), _cells(b)
    if list(x) != list(y):
        return [f"sheets {list(x)} != {list(y)}"]
    out = []
    for name in x:
        p, q = dict((c, (v, f)) for c, v, f in x[name]), dict((c, (v, f)) for c, v, f in y[name])
        for cell in sorted(set(p) | set(q)):
            if p.get(cell) != q.get(cell):
                out.append(f"sheet {name} {cell}: {p.get(cell)!r} != {q.get(cell)!r}")
                if len(out) >= 6:
                    return out
    return out


COMPARE = {".html": compare_html, ".pdf": compare_pdf, ".xlsx": compare_xlsx}


def compare(base: Path, new: Path) -> list[str]:
    """Every difference between the two trees, as short lines (empty when they compare equal)."""
    files = {p.relative_to(base) for p in base.rglob("*") if p.suffix in COMPARE}
    files |= {p.relative_to(new) for p in new.rglob("*") if p.suffix in COMPARE}
    out = []
    for rel in sorted(files):
        a, b = base / rel, new / rel
        if not a.exists() or not b.exists():
            out.append(f"{rel}: only in {'NEW' if b.exists() else 'BASE'}")
            continue
        out += [f"{rel}: {d}" for d in COMPARE[rel.suffix](a, b)]
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    base, new = Path(argv[0]), Path(argv[1])
    diffs = compare(base, new)
    if diffs:
        print(f"{len(diffs)} differences:")
        print("\n".join(diffs))
        return 1
    n = sum(1 for p in base.rglob("*") if p.suffix in COMPARE)
    print(f"equal ({n} files: HTML, PDF pages and text, xlsx cells and formats)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
