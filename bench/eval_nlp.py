"""Measure theme tagging and per-theme sentiment on the public dev sets in ../shared/eval/dev.

Prints, for SemEval-2014 and SemEval-2015 restaurant sentences (``restaurant`` taxonomy), theme
micro and per-theme precision/recall/F1 and the 3-way per-theme sentiment accuracy beside plain
VADER on the whole sentence (a pristine VADER with its own +-0.05 thresholds, computed in the same
run) and their ratio; and for the CLAP app reviews (``app-reviews`` taxonomy) per-label P/R/F1,
where OTHER means "no theme".
SemEval-2015 categories map FOOD#* and DRINKS#* (2014 counted drinks and wine as food) to food,
SERVICE#* to service, *#PRICES to price (before the entity rule, so FOOD#PRICES is price) and
AMBIENCE#* to ambience; RESTAURANT#GENERAL/MISCELLANEOUS and LOCATION#* are ignored. A category
that carries different polarities in one sentence counts as conflict. Sentiment pairs whose theme
the analyser missed are scored with its whole-sentence sentiment, and their number is printed.
The data directory is ``VOC_EVAL_DIR`` or ``<repo>/../shared/eval/dev``; the sealed holdout is
never read. Run: ``python bench/eval_nlp.py``.
"""

from __future__ import annotations

import csv
import os
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlp.analyzer import Analyzer  # noqa: E402
from nlp.results import Analysis  # noqa: E402

RESTAURANT_THEMES = ("food", "service", "price", "ambience")
APP_LABELS = ("BUG", "FEATURE", "PERFORMANCE", "USABILITY", "ENERGY", "SECURITY")
POLARITIES = ("positive", "negative", "neutral")
VADER_THRESHOLD = 0.05  # VADER's published +-0.05 neutral band, for the plain baseline


def vader_label(compound: float) -> str:
    """Plain VADER's own three-way label (independent of the analyser's thresholds)."""
    if compound >= VADER_THRESHOLD:
        return "positive"
    return "negative" if compound <= -VADER_THRESHOLD else "neutral"


@dataclass(frozen=True)
class Example:
    text: str
    gold: dict[str, str]  # theme -> polarity (positive|negative|neutral|conflict)


def eval_dir() -> Path:
    override = os.environ.get("VOC_EVAL_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "shared/eval/dev"


def load_semeval2014(path: Path) -> list[Example]:
    examples = []
    for sentence in ET.parse(path).getroot().iter("sentence"):
        gold = {
            c.get("category", ""): c.get("polarity", "")
            for c in sentence.iter("aspectCategory")
            if c.get("category") in RESTAURANT_THEMES
        }
        examples.append(Example(sentence.findtext("text") or "", gold))
    return examples


def map_2015(category: str) -> str | None:
    entity, _, attribute = category.partition("#")
    if attribute == "PRICES":
        return "price"
    return {"FOOD": "food", "DRINKS": "food", "SERVICE": "service", "AMBIENCE": "ambience"}.get(entity)


def load_semeval2015(path: Path) -> list[Example]:
    examples = []
    for sentence in ET.parse(path).getroot().iter("sentence"):
        gold: dict[str, str] = {}
        for opinion in sentence.iter("Opinion"):
            theme = map_2015(opinion.get("category", ""))
            if theme is None:
                continue
            polarity = opinion.get("polarity", "")
            gold[theme] = polarity if gold.get(theme, polarity) == polarity else "conflict"
        examples.append(Example(sentence.findtext("text") or "", gold))
    return examples


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def theme_scores(
    gold: Sequence[set[str]], pred: Sequence[set[str]], labels: Sequence[str]
) -> dict[str, tuple[float, float, float, int]]:
    """Per-label and micro P/R/F1 (+ support); each label counts once per text."""
    out: dict[str, tuple[float, float, float, int]] = {}
    totals = [0, 0, 0]
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if label in g and label in p)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if label not in g and label in p)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if label in g and label not in p)
        totals = [totals[0] + tp, totals[1] + fp, totals[2] + fn]
        out[label] = (*prf(tp, fp, fn), tp + fn)
    out["micro"] = (*prf(*totals), totals[0] + totals[2])
    return out


def print_scores(scores: dict[str, tuple[float, float, float, int]]) -> None:
    print(f"  {'theme':<12} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}")
    for label, (p, r, f, n) in scores.items():
        print(f"  {label:<12} {p:6.3f} {r:6.3f} {f:6.3f} {n:8d}")


def sentiment_report(examples: Sequence[Example], analyses: Sequence[Analysis]) -> dict:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    plain = SentimentIntensityAnalyzer()  # pristine lexicon: the baseline
    ours = base = n = fallback = 0
    det_ours = det_base = det_n = 0
    for example, analysis in zip(examples, analyses, strict=True):
        base_label = vader_label(plain.polarity_scores(example.text)["compound"])
        for theme, polarity in example.gold.items():
            if polarity not in POLARITIES:
                continue
            hit = analysis.theme(theme)
            label = hit.sentiment.label if hit else analysis.sentiment.label
            n += 1
            ours += label == polarity
            base += base_label == polarity
            if hit is None:
                fallback += 1
            else:
                det_n += 1
                det_ours += label == polarity
                det_base += base_label == polarity
    return {
        "pairs": n,
        "ours": ours / n,
        "vader": base / n,
        "fallback": fallback,
        "det_pairs": det_n,
        "det_ours": det_ours / det_n,
        "det_vader": det_base / det_n,
    }


def report_restaurant(title: str, examples: list[Example], analyzer: Analyzer) -> dict:
    started = time.perf_counter()
    analyses = analyzer.analyze_many([e.text for e in examples])
    elapsed = time.perf_counter() - started
    gold = [set(e.gold) for e in examples]
    pred = [set(a.theme_names) for a in analyses]
    scores = theme_scores(gold, pred, RESTAURANT_THEMES)
    print(f"\n== {title}: {len(examples)} sentences, restaurant taxonomy ({elapsed:.1f}s)")
    print_scores(scores)
    s = sentiment_report(examples, analyses)
    print(
        f"  per-theme sentiment, 3-way, {s['pairs']} (sentence, theme) pairs without conflict:\n"
        f"    ours {s['ours']:.3f}   plain VADER whole sentence {s['vader']:.3f}   "
        f"ratio {s['ours'] / s['vader']:.3f}\n"
        f"    ({s['fallback']} pairs whose theme we did not detect were scored with our "
        f"whole-sentence sentiment)\n"
        f"    on the {s['det_pairs']} detected pairs only: ours {s['det_ours']:.3f}   "
        f"plain VADER {s['det_vader']:.3f}"
    )
    return {"micro_f1": scores["micro"][2], **s}


def report_clap(path: Path, analyzer: Analyzer) -> dict:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    analyses = analyzer.analyze_many([r["text"] for r in rows])
    gold = [{r["label"]} for r in rows]
    pred = [{t.upper() for t in a.theme_names} or {"OTHER"} for a in analyses]
    scores = theme_scores(gold, pred, APP_LABELS)
    other = theme_scores(gold, pred, ("OTHER",))["OTHER"]
    print(f"\n== CLAP app reviews: {len(rows)} reviews, app-reviews taxonomy")
    print_scores({**scores, "OTHER": other})
    print("  (micro over the six themes; a review may get several themes, gold has one label)")
    return {"micro_f1": scores["micro"][2]}


def main() -> int:
    data = eval_dir()
    restaurant = Analyzer("restaurant")
    print(f"eval data: {data}")
    report_restaurant(
        "SemEval-2014 restaurants train",
        load_semeval2014(data / "semeval2014_restaurants_train.xml"),
        restaurant,
    )
    report_restaurant(
        "SemEval-2015 restaurants train",
        load_semeval2015(data / "semeval2015_restaurants_train.xml"),
        restaurant,
    )
    report_clap(data / "clap_app_reviews.csv", Analyzer("app-reviews"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
