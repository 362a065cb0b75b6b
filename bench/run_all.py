"""Run every benchmark of the project, one after the other, and print every table.

Each script in ``bench/`` that exists is run as its own process with the venv's Python from the
repository root (so one script's servers, database and imports never leak into the next), its
output streamed as it comes; a failing script is reported and the rest still run. The exit
status is non-zero if any script failed. Figures also land in ``bench/results/*.json``.

``--quick`` is passed on to the scripts that accept it (shorter runs, same tables). Choose
scripts by name: ``python bench/run_all.py events_api form_page``. ``make bench`` calls this.

Run: ``.venv/bin/python bench/run_all.py [--quick] [NAME ...]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

# In this order: the collection path first, then the text analysis.
SCRIPTS = [
    "events_api",
    "events_batch",
    "responses_batch",
    "form_page",
    "webhooks",
    "nlp_throughput",
    "eval_nlp",
    "analysis_worker",
    "metrics_scale",
    "export_stream",  # reads the database metrics_scale leaves
    "dashboard_page",
    "privacy",
    "alerts_eval",
    "customers",
]


def accepts_quick(path: Path) -> bool:
    return "--quick" in path.read_text(encoding="utf-8", errors="replace")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs where supported")
    parser.add_argument("names", nargs="*", help=f"a subset of: {', '.join(SCRIPTS)}")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(SCRIPTS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    python = ROOT / ".venv" / "bin" / "python"
    python = python if python.exists() else Path(sys.executable)

    summary: list[tuple[str, str, float]] = []
    for name in args.names or SCRIPTS:
        path = BENCH / f"{name}.py"
        if not path.exists():
            summary.append((name, "not present", 0.0))
            continue
        command = [str(python), str(path.relative_to(ROOT))]
        if args.quick and accepts_quick(path):
            command.append("--quick")
        print(f"\n######## {' '.join(command[1:])}", flush=True)
        started = time.monotonic()
        code = subprocess.call(command, cwd=ROOT)
        elapsed = time.monotonic() - started
        summary.append((name, "ok" if code == 0 else f"FAILED (exit {code})", elapsed))

    print("\n######## summary")
    width = max(len(n) for n, _, _ in summary)
    for name, outcome, elapsed in summary:
        took = f"{elapsed:6.1f} s" if elapsed else ""
        print(f"  {name.ljust(width)}  {took:>8}  {outcome}")
    return 0 if all(o in ("ok", "not present") for _, o, _ in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
