"""The reproduction report: renders a results dict as one self-contained HTML page."""

from __future__ import annotations

import base64
import html
import json
import math
import numbers
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from cnn_explain_tf.artifacts import atomic_path
from cnn_explain_tf.validation import InputError

__all__ = ["write_report"]

_CSS = """
:root { --ink: #1f2933; --muted: #52606d; --line: #d9e2ec; --zebra: #f5f7fa; --accent: #2f5d8a; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 72rem; margin: 0 auto; padding: 2rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 .75rem; }
h2 { font-size: 1.25rem; margin: 2.5rem 0 .6rem; padding-bottom: .3rem;
     border-bottom: 2px solid var(--line); }
a { color: var(--accent); }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0 0 1rem; }
.meta dt { font-weight: 600; color: var(--muted); }
.meta dd { margin: 0; }
code, pre { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85em; }
pre { background: var(--zebra); padding: .75rem; overflow-x: auto; }
nav ol { columns: 2; padding-left: 1.5rem; }
.scroll { overflow-x: auto; margin: 1rem 0; }
table { border-collapse: collapse; font-size: .9rem; }
caption { caption-side: top; text-align: left; font-weight: 600; color: var(--muted);
          padding: .3rem 0; }
th, td { padding: .35rem .75rem; border-bottom: 1px solid var(--line); text-align: left;
         vertical-align: top; }
thead th { background: #e9eef4; border-bottom: 2px solid #bcccdc; white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--zebra); }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.badge { display: inline-block; padding: 0 .55rem; border-radius: 1rem; font-size: .8rem;
         font-weight: 600; white-space: nowrap; }
.yes { background: #e3f5e9; color: #1b6b3a; }
.no { background: #fde8e8; color: #a12622; }
figure { margin: 1.5rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: .9rem; margin-top: .4rem; }
footer { color: var(--muted); font-size: .8rem; text-align: center; padding: 0 0 2rem; }
"""


def write_report(results: Mapping, out_dir: str | os.PathLike) -> Path:
    """Renders `results` as `out_dir/report.html`, written atomically, and returns its path.

    The page is self-contained (inline CSS, no JavaScript, figures embedded as base64 PNG data
    URIs): a header with the run's identity, the goals, the stage timings, a table of contents,
    then every section in order. Cells are shown as: ints as ints; floats with |x| >= 1 (or 0)
    with two decimals and other floats with three significant digits; NaN as "n/a"; None as "-";
    bools as a tick or cross badge ("met" / "not met" in the goals table, "yes" / "no" elsewhere).

    Args:
        results: the results dict of `cnn-explain reproduce`; "title" and "sections" are required,
            "preset", "config_hash", "created", "versions", "config", "goals" and "stages" are
            shown when present.
        out_dir: the output directory; figure paths are relative to it.

    Raises:
        InputError: a missing entry, duplicate section ids, a figure that is not a PNG file on
            disk, or a table whose rows have different columns.
    """
    out_dir = Path(out_dir)
    for key in ("title", "sections"):
        if key not in results:
            raise InputError(f"results: expected a {key!r} entry, got the keys {sorted(results)}")
    page = _page(results, out_dir)
    path = out_dir / "report.html"
    with atomic_path(path) as temporary:
        temporary.write_text(page, encoding="utf-8")
    return path


def _page(results: Mapping, out_dir: Path) -> str:
    sections = [_checked_section(index, section) for index, section in
                enumerate(results["sections"])]
    parts = {"goals": _goals(results.get("goals")), "stages": _stages(results.get("stages"))}
    contents = [(key, key.capitalize()) for key, part in parts.items() if part]
    contents += [(section["id"], section["title"]) for section in sections]
    ids = [key for key, _ in contents]
    duplicates = sorted({key for key in ids if ids.count(key) > 1})
    if duplicates:
        raise InputError(f"results['sections']: expected unique section ids ('goals' and "
                         f"'stages' name the header tables), got {duplicates} more than once")
    toc = "".join(f'<li><a href="#{_escape(key)}">{_escape(title)}</a></li>'
                  for key, title in contents)
    title = _escape(results["title"])
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>{_CSS}</style></head>\n<body><main>"
            f"<header><h1>{title}</h1>{_meta(results)}</header>\n"
            f"<nav><h2>Contents</h2><ol>{toc}</ol></nav>\n{''.join(parts.values())}"
            f"{''.join(_section(section, out_dir) for section in sections)}</main>\n"
            f"<footer>Rendered by cnn_explain_tf.report; every figure is embedded in this file."
            f"</footer></body></html>\n")


def _meta(results: Mapping) -> str:
    versions = results.get("versions") or {}
    fields = {"preset": _escape(results.get("preset", "-")),
              "config hash": f"<code>{_escape(results.get('config_hash', '-'))}</code>",
              "created": _escape(results.get("created", "-")),
              "versions": " &middot; ".join(f"{_escape(name)} {_escape(version)}"
                                            for name, version in versions.items()) or "-"}
    listing = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in fields.items())
    config = results.get("config")
    details = "" if config is None else (
        "<details><summary>Configuration</summary><pre>"
        f"{_escape(json.dumps(config, indent=2, sort_keys=True, default=str))}</pre></details>")
    return f'<dl class="meta">{listing}</dl>{details}'


def _goals(goals: Sequence[Mapping] | None) -> str:
    if not goals:
        return ""
    met = sum(goal.get("met") is True for goal in goals)
    table = {"id": "goals", "rows": goals,
             "caption": f"{met} of {len(goals)} goals met (ours vs the paper's numbers)"}
    return f'<h2 id="goals">Goals</h2>{_table(table, "met", "not met")}'


def _stages(stages: Sequence[Mapping] | None) -> str:
    if not stages:
        return ""
    rows = [{"stage": stage["name"], "status": stage["status"], "seconds": stage["seconds"]}
            for stage in stages]
    total = float(sum(stage["seconds"] for stage in stages))
    caption = f"Pipeline stages, run now or loaded from the cache ({_number(total)} s in all)"
    table = {"id": "stages", "rows": rows, "caption": caption}
    return f'<h2 id="stages">Stages</h2>{_table(table)}'


def _checked_section(index: int, section: Mapping) -> Mapping:
    missing = [key for key in ("id", "title") if key not in section]
    if missing:
        raise InputError(f"results['sections'][{index}]: expected the entries 'id' and 'title', "
                         f"got the keys {sorted(section)}")
    return section


def _section(section: Mapping, out_dir: Path) -> str:
    text = "".join(f"<p>{_escape(paragraph.strip())}</p>"
                   for paragraph in section.get("text", "").split("\n\n") if paragraph.strip())
    tables = "".join(_table(table) for table in section.get("tables", []))
    figures = "".join(_figure(figure, out_dir, section["id"])
                      for figure in section.get("figures", []))
    return (f'<section><h2 id="{_escape(section["id"])}">{_escape(section["title"])}</h2>'
            f"{text}{tables}{figures}</section>\n")


def _table(table: Mapping, yes: str = "yes", no: str = "no") -> str:
    rows, caption = table["rows"], f"<caption>{_escape(table.get('caption', ''))}</caption>"
    if not rows:
        return f'<div class="scroll"><table>{caption}<tbody><tr><td>no rows</td></tr></tbody>' \
               f"</table></div>"
    columns = list(rows[0])
    for index, row in enumerate(rows):
        if list(row) != columns:
            raise InputError(f"table {table['id']!r}: expected every row to have the columns "
                             f"{columns} of row 0, got {list(row)} in row {index}")
    align = {column: ' class="num"' if all(_is_number(row[column]) or row[column] is None
                                            for row in rows) else "" for column in columns}
    head = "".join(f"<th{align[column]}>{_escape(column)}</th>" for column in columns)
    body = "".join("<tr>" + "".join(f"<td{align[column]}>{_cell(row[column], yes, no)}</td>"
                                    for column in columns) + "</tr>" for row in rows)
    return (f'<div class="scroll"><table>{caption}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _figure(figure: Mapping, out_dir: Path, section_id: str) -> str:
    path = out_dir / figure["path"]
    data = path.read_bytes() if path.is_file() else b""
    if not data.startswith(b"\x89PNG"):
        found = "a file that is not a PNG" if path.is_file() else "no such file"
        raise InputError(f"section {section_id!r} figure: expected a PNG file at {path}, "
                         f"got {found}")
    caption = _escape(figure.get("caption", ""))
    return (f'<figure><img src="data:image/png;base64,{base64.b64encode(data).decode("ascii")}" '
            f'alt="{caption}"><figcaption>{caption}</figcaption></figure>')


def _cell(value, yes: str, no: str) -> str:
    """One table cell as HTML: see `write_report` for the formatting rule."""
    if isinstance(value, (bool, np.bool_)):
        return (f'<span class="badge yes">&#10003; {yes}</span>' if value else
                f'<span class="badge no">&#10007; {no}</span>')
    if value is None:
        return "-"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return _number(float(value))
    return _escape(value)


def _number(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.2f}" if value == 0 or abs(value) >= 1 else f"{value:#.3g}"


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _escape(value) -> str:
    return html.escape(str(value))
