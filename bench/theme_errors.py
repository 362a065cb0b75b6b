"""List theme-tagging errors on the dev sets, per theme, with the evidence that triggered them.

For each data set (``semeval2014``, ``semeval2015``, ``clap``) and theme, prints the false
positives (a theme tagged that the gold labels lack, with the words quoted as evidence) and the
false negatives (a gold theme not tagged), and a count of the evidence words behind the false
positives and true positives, so an over-eager keyword shows up as one with many false and few
true hits. Run: ``python bench/theme_errors.py [semeval2014|semeval2015|clap] [theme] [--limit N]``.
Reads the dev files only (``VOC_EVAL_DIR`` or ``<repo>/../shared/eval/dev``).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_nlp import (  # noqa: E402
    APP_LABELS,
    RESTAURANT_THEMES,
    eval_dir,
    load_semeval2014,
    load_semeval2015,
)

from nlp.analyzer import Analyzer  # noqa: E402


def _load(name: str) -> tuple[str, list[str], list[set[str]], tuple[str, ...]]:
    data = eval_dir()
    if name == "clap":
        with (data / "clap_app_reviews.csv").open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        gold = [{r["label"].lower()} - {"other"} for r in rows]
        return "app-reviews", [r["text"] for r in rows], gold, tuple(a.lower() for a in APP_LABELS)
    loader = load_semeval2014 if name == "semeval2014" else load_semeval2015
    file = f"{name}_restaurants_train.xml"
    examples = loader(data / file)
    return "restaurant", [e.text for e in examples], [set(e.gold) for e in examples], RESTAURANT_THEMES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "data", nargs="?", default="semeval2014", choices=("semeval2014", "semeval2015", "clap")
    )
    parser.add_argument("theme", nargs="?", default=None)
    parser.add_argument("--limit", type=int, default=40, help="examples listed per theme and kind")
    args = parser.parse_args(argv)
    taxonomy, texts, gold, themes = _load(args.data)
    analyses = Analyzer(taxonomy).analyze_many(texts)
    for theme in themes:
        if args.theme and theme != args.theme:
            continue
        fps, fns, fp_words, tp_words = [], [], Counter(), Counter()
        fp_sole, tp_sole = Counter(), Counter()
        for text, expected, analysis in zip(texts, gold, analyses, strict=True):
            hit = analysis.theme(theme)
            words = [e.text.lower() for e in hit.evidence] if hit else []
            if hit and theme not in expected:
                fps.append((words, sorted(expected), text))
                fp_words.update(set(words))
                fp_sole.update(set(words) if len(set(words)) == 1 else ())
            elif hit:
                tp_words.update(set(words))
                tp_sole.update(set(words) if len(set(words)) == 1 else ())
            elif theme in expected:
                fns.append((sorted(analysis.theme_names), text))
        print(f"\n=== {theme}: {len(fps)} false positives, {len(fns)} false negatives")
        print("  evidence word: false / true hits, and as the only evidence (most false first)")
        for word, n in fp_words.most_common(25):
            print(f"    {word!r}: {n} / {tp_words[word]}   only: {fp_sole[word]} / {tp_sole[word]}")
        print("  -- false positives (evidence | gold | text)")
        for words, expected, text in fps[: args.limit]:
            print(f"    {words} | {expected} | {text}")
        print("  -- false negatives (tagged | text)")
        for tagged, text in fns[: args.limit]:
            print(f"    {tagged} | {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
