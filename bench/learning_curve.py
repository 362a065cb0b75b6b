"""Learning curve: theme F1 after an analyst corrects 25, 50, 100 and 200 wrong tags.

For SemEval-2014 restaurants train (``restaurant`` taxonomy) and the CLAP app reviews
(``app-reviews``), the texts are shuffled (seed 7) and split in half. The analyst works through
the first half in order and corrects each wrong tag: a theme found that the gold labels do not
have is removed (every quoted mention teaches a negative context, :func:`nlp.learning.
exclusion_context`), a gold theme not found is added (the comment's first uncovered noun phrase
not found in more than 1% of the comments is proposed as a keyword,
:func:`nlp.learning.propose_phrase`). Theme micro-F1 is then measured
on the second half, which no correction touched, before and after, under policies of the
service: rules applied only
once the same rule was learned from at least two corrections, and every proposal. A third policy
simulates a careful analyst who confirms a proposal only when it holds on the comments they
corrected (the first half; see :func:`careful`). Run:
``python bench/learning_curve.py``.
"""

from __future__ import annotations

import csv
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_nlp import APP_LABELS, RESTAURANT_THEMES, eval_dir, load_semeval2014, theme_scores  # noqa: E402

from nlp.analyzer import Analyzer  # noqa: E402
from nlp.learning import (  # noqa: E402
    apply_rules,
    common_phrases,
    exclusion_context,
    is_excluded,
    propose_phrase,
)
from nlp.results import Analysis  # noqa: E402
from nlp.taxonomy import load_taxonomy  # noqa: E402

STEPS = (25, 50, 100, 200)
SEED = 7
Rule = tuple[str, str, str]  # (kind: keyword|exclude, theme, phrase)


def corrections(
    texts: list[str], gold: list[set[str]], analyses: list[Analysis], covered, labels
) -> list[list[Rule]]:
    """One entry per wrong tag, in the analyst's order: the rules that correction teaches (only
    themes the data set labels; the generic ``overall`` theme is never judged)."""
    common = common_phrases(a.noun_phrases for a in analyses)
    out: list[list[Rule]] = []
    for text, expected, analysis in zip(texts, gold, analyses, strict=True):
        for hit in analysis.themes:
            if hit.name in labels and hit.name not in expected:
                contexts = (exclusion_context(text, e.start, e.end) for e in hit.evidence)
                out.append([("exclude", hit.name, c) for c in contexts if c])
        for name in sorted(expected - set(analysis.theme_names)):
            phrase = propose_phrase(analysis.noun_phrases, covered, common)
            out.append([("keyword", name, phrase)] if phrase else [])
    return out


def learned(taxonomy, taught: list[list[Rule]], keep) -> tuple[object, int]:
    """The taxonomy with the rules ``keep(rule, times learned)`` lets through."""
    counts = Counter(rule for rules in taught for rule in rules if rule[2])
    keywords: dict[str, list[str]] = {}
    excludes: dict[str, list[str]] = {}
    kept = 0
    for rule, n in counts.items():
        kind, theme, phrase = rule
        if keep(rule, n):
            kept += 1
            (keywords if kind == "keyword" else excludes).setdefault(theme, []).append(phrase)
    return apply_rules(taxonomy, keywords, excludes), kept


def careful(texts: list[str], gold: list[set[str]], analyses: list[Analysis], share: float = 0.6):
    """An analyst who confirms a proposal only when it is right for the comments they corrected:
    a keyword when at least ``share`` of those comments with the phrase carry the theme, a
    negative context when at least ``share`` of the theme's mentions in it are wrong (and in
    both cases at least two comments agree, not only the one it was learned from)."""

    def keep(rule: Rule, _: int) -> bool:
        kind, theme, phrase = rule
        if kind == "keyword":
            with_phrase = [g for g, a in zip(gold, analyses, strict=True) if phrase in a.noun_phrases]
            hits = sum(theme in g for g in with_phrase)
            return hits >= 2 and hits / len(with_phrase) >= share
        mentions = [
            theme not in g
            for t, g, a in zip(texts, gold, analyses, strict=True)
            for hit in a.themes
            if hit.name == theme
            for e in hit.evidence
            if is_excluded(t, e.start, e.end, [phrase])
        ]
        return sum(mentions) >= 2 and sum(mentions) / len(mentions) >= share

    return keep


def curve(title: str, taxonomy_name: str, texts: list[str], gold: list[set[str]], labels) -> None:
    order = list(range(len(texts)))
    random.Random(SEED).shuffle(order)
    half = len(order) // 2
    pool, rest = order[:half], order[half:]
    base = load_taxonomy(taxonomy_name)
    analyzer = Analyzer(base)
    pool_texts = [texts[i] for i in pool]
    pool_analyses = analyzer.analyze_many(pool_texts)
    taught = corrections(pool_texts, [gold[i] for i in pool], pool_analyses, analyzer.covered_terms, labels)
    rest_texts, rest_gold = [texts[i] for i in rest], [gold[i] for i in rest]

    def f1(taxonomy) -> tuple[float, float, float]:
        predicted = [set(a.theme_names) for a in Analyzer(taxonomy).analyze_many(rest_texts)]
        p, r, f, _ = theme_scores(rest_gold, predicted, labels)["micro"]
        return p, r, f

    before = f1(base)
    print(
        f"\n== {title}: {len(pool)} texts to correct ({len(taught)} wrong tags), F1 on the other {len(rest)}"
    )
    head = f"  {'corrections':>11} {'policy':<22} {'rules':>5} {'P':>6} {'R':>6} {'F1':>6}"
    print(f"{head}  (before: F1 {before[2]:.3f})")
    policies = (
        ("every proposal", lambda rule, n: True),
        ("learned twice", lambda rule, n: n >= 2),
        ("confirmed when right", careful(pool_texts, [gold[i] for i in pool], pool_analyses)),
    )
    for step in STEPS:
        for policy, keep in policies:
            taxonomy, rules = learned(base, taught[:step], keep)
            p, r, f = f1(taxonomy)
            print(f"  {step:>11} {policy:<22} {rules:>5} {p:6.3f} {r:6.3f} {f:6.3f}  ({f - before[2]:+.3f})")


def main() -> int:
    data = eval_dir()
    started = time.perf_counter()
    examples = load_semeval2014(data / "semeval2014_restaurants_train.xml")
    curve(
        "SemEval-2014 restaurants train",
        "restaurant",
        [e.text for e in examples],
        [set(e.gold) for e in examples],
        RESTAURANT_THEMES,
    )
    with (data / "clap_app_reviews.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    curve(
        "CLAP app reviews",
        "app-reviews",
        [r["text"] for r in rows],
        [{r["label"].lower()} - {"other"} for r in rows],
        tuple(label.lower() for label in APP_LABELS),
    )
    print(f"\n({time.perf_counter() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
