"""Measure theme tagging and per-theme sentiment on the public dev sets in ../shared/eval/dev.

Prints, for SemEval-2014 and SemEval-2015 restaurant sentences (``restaurant`` taxonomy), theme
micro and per-theme precision/recall/F1 and the 3-way per-theme sentiment accuracy beside plain
VADER on the whole sentence (a pristine VADER with its own +-0.05 thresholds, computed in the same
run) and their ratio; and for the CLAP app reviews (``app-reviews`` taxonomy) per-label P/R/F1,
where OTHER means "no theme". Every figure is printed beside the previous analyser version
(``nlp/`` at ``bench/eval_previous.PREVIOUS_REF``, run in a subprocess) and, for sentiment,
plain VADER; per-theme sentiment is broken down per theme.
Factual complaints: CLAP's 1-2 star reviews against its 4-5 star reviews are a proxy for
negative against positive whole-comment sentiment (share labelled as the stars say, and the
share of 1-2 star reviews labelled negative), per CLAP label and overall.
Intent: request-vs-rest precision/recall/F1 on every CLAP review with FEATURE as the proxy for a
request, and accuracy and per-intent figures on the hand labels in ``bench/data/intent_labels.csv``.
Language: the share of the (all English) dev texts the detector lets through as English.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_previous import PREVIOUS_VERSION, previous_analyses  # noqa: E402

from nlp.analyzer import ANALYZER_VERSION, Analyzer  # noqa: E402
from nlp.intent import INTENTS, REQUEST  # noqa: E402
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


Scores = dict[str, tuple[float, float, float, int]]


def print_scores(scores: Scores, previous: Scores) -> None:
    print(f"  {'theme':<12} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}   F1 {PREVIOUS_VERSION}")
    for label, (p, r, f, n) in scores.items():
        print(f"  {label:<12} {p:6.3f} {r:6.3f} {f:6.3f} {n:8d}   {previous[label][2]:6.3f}")


def _plain_vader():  # type: ignore[no-untyped-def]
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()  # pristine lexicon: the baseline


def theme_label(analysis: Analysis, theme: str) -> str:
    hit = analysis.theme(theme)
    return hit.sentiment.label if hit else analysis.sentiment.label


def sentiment_report(
    examples: Sequence[Example], ours: Sequence[Analysis], previous: Sequence[Analysis]
) -> dict:
    """3-way per-theme sentiment accuracy, per theme and overall: ours, previous, plain VADER."""
    plain = _plain_vader()
    counts: dict[str, list[int]] = {}  # theme -> [pairs, ours, previous, vader, fallback]
    for example, mine, old in zip(examples, ours, previous, strict=True):
        base_label = vader_label(plain.polarity_scores(example.text)["compound"])
        for theme, polarity in example.gold.items():
            if polarity not in POLARITIES:
                continue
            for key in (theme, "all"):
                row = counts.setdefault(key, [0, 0, 0, 0, 0])
                row[0] += 1
                row[1] += theme_label(mine, theme) == polarity
                row[2] += theme_label(old, theme) == polarity
                row[3] += base_label == polarity
                row[4] += mine.theme(theme) is None
    return counts


def print_sentiment(counts: dict[str, list[int]]) -> None:
    print(
        f"  per-theme sentiment, 3-way accuracy over (sentence, theme) pairs without conflict\n"
        f"  {'theme':<12} {'pairs':>6} {'ours':>7} {PREVIOUS_VERSION:>7} {'VADER':>7} {'undetected':>11}"
    )
    for theme, (n, mine, old, base, fallback) in sorted(counts.items(), key=lambda kv: kv[0] == "all"):
        print(f"  {theme:<12} {n:6d} {mine / n:7.3f} {old / n:7.3f} {base / n:7.3f} {fallback:11d}")
    print("  (a pair whose theme was not detected is scored with the whole-sentence sentiment)")


def report_restaurant(title: str, examples: list[Example], analyzer: Analyzer) -> dict:
    texts = [e.text for e in examples]
    started = time.perf_counter()
    analyses = analyzer.analyze_many(texts)
    elapsed = time.perf_counter() - started
    previous = previous_analyses("restaurant", texts)
    gold = [set(e.gold) for e in examples]
    scores = theme_scores(gold, [set(a.theme_names) for a in analyses], RESTAURANT_THEMES)
    before = theme_scores(gold, [set(a.theme_names) for a in previous], RESTAURANT_THEMES)
    print(f"\n== {title}: {len(examples)} sentences, restaurant taxonomy ({elapsed:.1f}s)")
    print_scores(scores, before)
    counts = sentiment_report(examples, analyses, previous)
    print_sentiment(counts)
    return {"micro_f1": scores["micro"][2], "sentiment": counts["all"][1] / counts["all"][0]}


def _stars(rating: str) -> str | None:
    return "negative" if rating in {"1", "2"} else "positive" if rating in {"4", "5"} else None


def clap_polarity(rows: list[dict], ours: Sequence[Analysis], previous: Sequence[Analysis]) -> None:
    """Whole-review sentiment against the stars (1-2 negative, 4-5 positive, 3 left out)."""
    plain = _plain_vader()
    table: dict[str, list[int]] = {}  # label -> [n, ours, prev, vader, n_neg, ours, prev, vader]
    for row, mine, old in zip(rows, ours, previous, strict=True):
        gold = _stars(row["rating"])
        if gold is None:
            continue
        base = vader_label(plain.polarity_scores(row["text"])["compound"])
        labels = (mine.sentiment.label, old.sentiment.label, base)
        for key in (row["label"], "all"):
            t = table.setdefault(key, [0] * 8)
            t[0] += 1
            for k, label in enumerate(labels):
                t[1 + k] += label == gold
            if gold == "negative":
                t[4] += 1
                for k, label in enumerate(labels):
                    t[5 + k] += label == "negative"
    print(
        "  whole-review sentiment against the stars (1-2 = negative, 4-5 = positive; 3 left out):\n"
        f"  {'label':<12} {'reviews':>7} {'ours':>6} {PREVIOUS_VERSION:>6} {'VADER':>6}   "
        f"{'1-2 star':>8} {'ours':>6} {PREVIOUS_VERSION:>6} {'VADER':>6} (negative recall)"
    )
    for label, t in sorted(table.items(), key=lambda kv: (kv[0] == "all", kv[0])):
        acc = " ".join(f"{v / t[0]:6.3f}" for v in t[1:4])
        neg = " ".join(f"{v / t[4]:6.3f}" if t[4] else "     -" for v in t[5:8])
        print(f"  {label:<12} {t[0]:7d} {acc}   {t[4]:8d} {neg}")


def clap_requests(rows: list[dict], ours: Sequence[Analysis], previous: Sequence[Analysis]) -> None:
    gold = [r["label"] == "FEATURE" for r in rows]
    for name, analyses in (("ours", ours), (PREVIOUS_VERSION, previous)):
        pred = [a.intent == REQUEST for a in analyses]
        tp = sum(g and p for g, p in zip(gold, pred, strict=True))
        p, r, f = prf(tp, sum(pred) - tp, sum(gold) - tp)
        print(
            f"  intent request vs CLAP FEATURE (proxy), all reviews, {name}: P {p:.3f} R {r:.3f} F1 {f:.3f}"
        )


def report_clap(path: Path, analyzer: Analyzer) -> dict:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    texts = [r["text"] for r in rows]
    analyses = analyzer.analyze_many(texts)
    previous = previous_analyses("app-reviews", texts)
    gold = [{r["label"]} for r in rows]

    def predicted(items: Sequence[Analysis]) -> list[set[str]]:
        # A theme outside CLAP's labels (the generic "overall") is no CLAP label: OTHER.
        return [{t.upper() for t in a.theme_names} & set(APP_LABELS) or {"OTHER"} for a in items]

    pred, before = predicted(analyses), predicted(previous)
    scores = theme_scores(gold, pred, APP_LABELS)
    old = theme_scores(gold, before, APP_LABELS)
    print(f"\n== CLAP app reviews: {len(rows)} reviews, app-reviews taxonomy")
    print_scores(
        {**scores, "OTHER": theme_scores(gold, pred, ("OTHER",))["OTHER"]},
        {**old, "OTHER": theme_scores(gold, before, ("OTHER",))["OTHER"]},
    )
    print("  (micro over the six themes; a review may get several themes, gold has one label)")
    clap_polarity(rows, analyses, previous)
    clap_requests(rows, analyses, previous)
    return {"micro_f1": scores["micro"][2]}


def report_intent(data: Path, labels: Path) -> None:
    """Intent accuracy on the hand-labelled comments (see bench/data/intent_labels.md)."""
    with labels.open(newline="", encoding="utf-8") as handle:
        wanted = list(csv.DictReader(handle))
    texts: dict[tuple[str, str], str] = {}
    with (data / "clap_app_reviews.csv").open(newline="", encoding="utf-8") as handle:
        texts.update({("clap_app_reviews.csv", r["id"]): r["text"] for r in csv.DictReader(handle)})
    for name in ("semeval2014_restaurants_train.xml",):
        for sentence in ET.parse(data / name).getroot().iter("sentence"):
            texts[(name, sentence.get("id", ""))] = sentence.findtext("text") or ""
    items = [(texts[(w["source"], w["id"])], w["intent"], w["source"]) for w in wanted]
    got: list[str] = []
    for taxonomy, source in (("app-reviews", "clap"), ("restaurant", "semeval")):
        part = [text for text, _, src in items if src.startswith(source)]
        got.extend(a.intent for a in Analyzer(taxonomy).analyze_many(part))
    gold = [g for _, g, src in items if src.startswith("clap")] + [
        g for _, g, src in items if src.startswith("semeval")
    ]
    correct = sum(g == p for g, p in zip(gold, got, strict=True))
    print(
        f"\n== Intent on {len(gold)} hand-labelled comments ({labels.name}): "
        f"accuracy {correct / len(gold):.3f}"
    )
    print(f"  {'intent':<10} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}")
    for intent in INTENTS:
        tp = sum(g == p == intent for g, p in zip(gold, got, strict=True))
        p, r, f = prf(tp, got.count(intent) - tp, gold.count(intent) - tp)
        print(f"  {intent:<10} {p:6.3f} {r:6.3f} {f:6.3f} {gold.count(intent):8d}")


def report_language(data: Path) -> None:
    """Every dev text is English: the share the detector calls English (the costly error is an
    English comment set aside without sentiment), and what it calls the rest."""
    from collections import Counter

    from nlp.language import detect

    with (data / "clap_app_reviews.csv").open(newline="", encoding="utf-8") as handle:
        texts = [r["text"] for r in csv.DictReader(handle)]
    for name in ("semeval2014_restaurants_train.xml", "semeval2015_restaurants_train.xml"):
        texts += [s.findtext("text") or "" for s in ET.parse(data / name).getroot().iter("sentence")]
    started = time.perf_counter()
    found = Counter(detect(t) for t in texts)
    elapsed = time.perf_counter() - started
    english = found["en"] + found["und"]
    print(
        f"\n== Language of the {len(texts)} English dev texts: {english / len(texts):.4f} analysed as "
        f"English ({dict(found)}; {elapsed * 1e6 / len(texts):.0f} us per text)"
    )


def main() -> int:
    data = eval_dir()
    restaurant = Analyzer("restaurant")
    print(f"eval data: {data}; analyser {ANALYZER_VERSION} beside {PREVIOUS_VERSION}")
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
    report_intent(data, Path(__file__).resolve().parent / "data" / "intent_labels.csv")
    report_language(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
