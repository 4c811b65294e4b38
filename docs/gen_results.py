"""Results pages generated from recorded runs (run by mkdocs-gen-files), and the recorder.

Record a finished run (copies the parts of its results.json the pages show, with the machine):

    python docs/gen_results.py record reproduce-smoke runs/smoke/results.json \
        --command "cnn-explain reproduce --preset smoke --out runs/smoke"

Record a benchmark's printed output:

    python benchmarks/architectures.py > out.txt
    python docs/gen_results.py record-benchmark architectures out.txt \
        --command "python benchmarks/architectures.py"

Each record lives in docs/data/ as `NAME.json` beside `NAME.results.json` or `NAME.txt`; the
pages state the date, commit, CPU model, core count and command of each record.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
KEPT = ("title", "preset", "config_hash", "config", "versions", "created", "fresh_run_seconds",
        "stages", "goals", "sections")
"""The keys of a results.json that a page shows (the rest, e.g. per-image matrices, is dropped)."""
HIDDEN_COLUMNS = {"id", "estimate", "low", "high"}


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo, else platform.processor()."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_record(command: str, commit: str | None = None) -> dict:
    """Where and how a result was produced: date, commit, CPU model, cores, command."""
    if commit is None:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=False).stdout.strip() or "unknown"
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": commit, "cpu": cpu_model(), "cores": os.cpu_count(), "command": command,
            "python": platform.python_version()}


def cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: list[dict]) -> list[str]:
    """Rows (dicts) as a Markdown table; raw estimate/low/high columns give way to the interval."""
    interval = "95 % interval" in rows[0]
    columns = [key for key in rows[0]
               if key != "id" and not (interval and key in HIDDEN_COLUMNS)]
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(key)) for key in columns) + " |" for row in rows]
    return lines


def header(title: str, record: dict) -> list[str]:
    return [f"# {title}", "", "| | |", "| --- | --- |",
            f"| date | {record['date']} |", f"| commit | `{record['commit']}` |",
            f"| CPU | {record['cpu']}, {record['cores']} cores |",
            f"| command | `{record['command']}` |", ""]


def run_page(name: str, record: dict, results: dict) -> str:
    """The Markdown page of one recorded run."""
    lines = header(results.get("title", name), record)
    if results.get("versions"):
        lines += ["Versions: " + ", ".join(f"{key} {value}" for key, value
                                           in results["versions"].items()) + ".", ""]
    if results.get("fresh_run_seconds") is not None:
        lines += [f"Stages from an empty folder: {results['fresh_run_seconds']:.0f} s.", ""]
    if results.get("stages"):
        lines += ["## Stages", "", *markdown_table(results["stages"]), ""]
    if results.get("goals"):
        lines += ["## Goals", "", *markdown_table(results["goals"]), ""]
    for section in results.get("sections", []):
        lines += [f"## {section.get('title', section.get('id', ''))}", ""]
        if section.get("text"):
            lines += [section["text"], ""]
        for table in section.get("tables", []):
            if table.get("rows"):
                lines += [f"**{table.get('caption', '')}**", "", *markdown_table(table["rows"]),
                          ""]
    return "\n".join(lines)


def benchmark_page(name: str, record: dict, output: str) -> str:
    """The Markdown page of one recorded benchmark: its printed output, verbatim."""
    return "\n".join([*header(f"Benchmark: {name}", record), "```text", output.rstrip(), "```",
                      ""])


def records() -> list[tuple[str, dict]]:
    """The recorded runs and benchmarks: (name, record), sorted by name."""
    return [(path.stem, json.loads(path.read_text())) for path in sorted(DATA.glob("*.json"))
            if not path.name.endswith(".results.json")]


def pages() -> dict[str, str]:
    """Page path (under results/) -> Markdown, for every record, plus the index and the nav."""
    found, index = {}, ["# Results", "",
                        "Every number on these pages is generated from a recorded run. Record "
                        "a run of your own with `python docs/gen_results.py record` and rebuild "
                        "the site.", "", "| page | date | commit | CPU | command |",
                        "| --- | --- | --- | --- | --- |"]
    for name, record in records():
        results = DATA / f"{name}.results.json"
        if results.exists():
            found[f"{name}.md"] = run_page(name, record, json.loads(results.read_text()))
        else:
            found[f"{name}.md"] = benchmark_page(name, record, (DATA / f"{name}.txt").read_text())
        index.append(f"| [{name}]({name}.md) | {record['date']} | `{record['commit']}` | "
                     f"{record['cpu']}, {record['cores']} cores | `{record['command']}` |")
    static = sorted(path.name for path in (DATA.parent / "results").glob("*.md"))
    index += ["", "Pages written by their own scripts (each states its date, commit and machine):",
              ""] + [f"- [{name[:-3]}]({name})" for name in static]
    found["index.md"] = "\n".join(index) + "\n"
    found["SUMMARY.md"] = "\n".join(["* [Overview](index.md)"] + [
        f"* [{name}]({name}.md)" for name, _ in records()] + [
        f"* [{name[:-3]}]({name})" for name in static]) + "\n"
    return found


def generate() -> None:
    import mkdocs_gen_files

    for page, text in pages().items():
        with mkdocs_gen_files.open(f"results/{page}", "w") as handle:
            handle.write(text)


def record(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="gen_results.py")
    parser.add_argument("kind", choices=["record", "record-benchmark"])
    parser.add_argument("name", help="page name, e.g. reproduce-quick")
    parser.add_argument("source", type=Path, help="results.json of a run, or a benchmark's output")
    parser.add_argument("--command", required=True, help="the command that produced it")
    parser.add_argument("--commit", help="default: git rev-parse --short HEAD")
    parser.add_argument("--date", help="default: now (UTC)")
    args = parser.parse_args(argv)
    entry = machine_record(args.command, args.commit)
    if args.date:
        entry["date"] = args.date
    DATA.mkdir(exist_ok=True)
    if args.kind == "record":
        results = json.loads(args.source.read_text())
        kept = {key: results[key] for key in KEPT if key in results}
        for section in kept.get("sections", []):
            section.pop("figures", None)
        (DATA / f"{args.name}.results.json").write_text(json.dumps(kept, indent=1) + "\n")
    else:
        (DATA / f"{args.name}.txt").write_text(args.source.read_text())
    (DATA / f"{args.name}.json").write_text(json.dumps(entry, indent=1) + "\n")
    print(f"recorded {args.name} in {DATA}")


if __name__ == "__main__":
    record(sys.argv[1:])
elif __name__ == "<run_path>":
    generate()
