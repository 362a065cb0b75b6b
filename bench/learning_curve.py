"""Learning curve: theme F1 after an analyst corrects 25, 50, 100 and 200 wrong tags.

For SemEval-2014 restaurants train (``restaurant`` taxonomy) and the CLAP app reviews
(``app-reviews``), the texts are shuffled (seed 7) and split in half. The analyst works through
the first half in order, seeing each answer as the service tags it at that moment (with the rules
active so far), and corrects each wrong tag of the data set's own themes: a theme found that the
gold labels do not have is removed, a gold theme not found is added. The simulated service learns
exactly as ``surveys.analysis.learning`` does, with the same functions of :mod:`nlp.learning`:
a removal teaches the trigger alone and the trigger with its neighbours as negative contexts, an
addition proposes the lemma of the comment most specific to the theme in the whole data set (both
halves, unlabelled, with the analyst's corrections: the workspace's own answers); a rule applies
once :func:`nlp.learning.exclusion_holds` / :func:`nlp.learning.keyword_holds` say so (taught
``learn_after`` times and borne out by the answers), and an active rule is withdrawn when the
analyst corrects an answer against it. Theme micro-F1 is measured on the second half, which no
correction touched, before and after. Run: ``python bench/learning_curve.py``.
"""

from __future__ import annotations

import csv
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_nlp import APP_LABELS, RESTAURANT_THEMES, eval_dir, load_semeval2014, theme_scores  # noqa: E402

from nlp.analyzer import Analyzer  # noqa: E402
from nlp.keywords import base_form  # noqa: E402
from nlp.learning import (  # noqa: E402
    answer_words,
    apply_rules,
    common_phrases,
    covered_words,
    exclusion_context,
    exclusion_holds,
    in_context,
    keyword_candidates,
    keyword_holds,
    mentions,
    propose_keyword,
    trigger_context,
    trigger_words,
    word_stats,
)
from nlp.taxonomy import load_taxonomy  # noqa: E402

STEPS = (25, 50, 100, 200)
SEED = 7
LEARN_AFTER = (2, 3)
Rule = tuple[str, str, str]  # (kind: keyword|exclude, theme, phrase)


@dataclass
class Workspace:
    """The service's state for one simulated workspace: its answers (texts, stored analyses,
    current themes), the answers an analyst corrected, and the rules taught so far."""

    texts: list[str]
    analyses: list
    themes: list[set[str]]
    covered: frozenset[str]
    common: frozenset[str]
    learn_after: int
    reviewed: set[int] = field(default_factory=set)
    taught: dict[Rule, set[int]] = field(default_factory=dict)
    status: dict[Rule, str] = field(default_factory=dict)

    def corpus(self):
        return [(answer_words(a.noun_phrases), t) for a, t in zip(self.analyses, self.themes, strict=True)]

    def teach(self, rule: Rule, answer: int) -> bool:
        """Count a lesson; True when it made the rule active (as surveys.analysis.learning._teach)."""
        self.taught.setdefault(rule, set()).add(answer)
        self.status.setdefault(rule, "proposed")
        if self.status[rule] != "proposed" or len(self.taught[rule]) < self.learn_after:
            return False
        kind, theme, phrase = rule
        if kind == "keyword":
            with_theme, with_word = word_stats(phrase, theme, self.corpus())
            holds = keyword_holds(len(self.taught[rule]), with_theme, with_word, self.learn_after)
        else:
            matched = kept = 0
            for j, (text, analysis) in enumerate(zip(self.texts, self.analyses, strict=True)):
                hit = analysis.theme(theme)
                if theme in self.themes[j] and hit and in_context(text, _spans(hit), phrase):
                    matched += 1
                    kept += j in self.reviewed
            holds = exclusion_holds(len(self.taught[rule]), kept, matched, self.learn_after)
        if holds:
            self.status[rule] = "active"
        return holds

    def withdraw(self, kind: str, theme: str, test) -> bool:
        changed = False
        for rule, status in self.status.items():
            if status == "active" and rule[0] == kind and rule[1] == theme and test(rule[2]):
                self.status[rule] = "undone"
                changed = True
        return changed


def _spans(hit) -> list[tuple[int, int]]:
    return [(e.start, e.end) for e in hit.evidence]


def correct(ws: Workspace, i: int, analysis, expected: set[str], labels) -> tuple[int, bool]:
    """The analyst corrects answer ``i`` (as tagged now); returns (corrections, rules changed)."""
    text, made, changed = ws.texts[i], 0, False
    for hit in analysis.themes:
        if hit.name in labels and hit.name not in expected:
            made += 1
            ws.reviewed.add(i)
            ws.themes[i].discard(hit.name)
            triggers = {w for e in hit.evidence for w in trigger_words(text, e.start, e.end)}
            changed |= ws.withdraw("keyword", hit.name, lambda k, t=triggers: base_form(k) in t)
            for e in hit.evidence:
                for context in {
                    trigger_context(text, e.start, e.end),
                    exclusion_context(text, e.start, e.end),
                }:
                    if context:
                        changed |= ws.teach(("exclude", hit.name, context), i)
    for name in sorted(expected - set(analysis.theme_names)):
        made += 1
        ws.reviewed.add(i)
        ws.themes[i].add(name)
        changed |= ws.withdraw("exclude", name, lambda c: mentions(text, c))
        candidates = keyword_candidates(analysis.noun_phrases, ws.covered, ws.common)
        word = propose_keyword(candidates, name, ws.corpus())
        if word:
            changed |= ws.teach(("keyword", name, word), i)
    return made, changed


def careful(ws: Workspace, read: list[int], gold: list[set[str]], share: float = 0.6) -> dict[Rule, str]:
    """The rules an analyst who confirms a proposal with one click when it is right for the
    answers they have read would add: a keyword when at least ``share`` of those answers with the
    word carry the theme, a negative context when at least ``share`` of the theme's mentions in
    it are wrong there (and in both cases at least two answers agree)."""
    confirmed = dict(ws.status)
    for rule, status in ws.status.items():
        if status != "proposed":
            continue
        kind, theme, phrase = rule
        if kind == "keyword":
            votes = [theme in gold[i] for i in read if phrase in answer_words(ws.analyses[i].noun_phrases)]
        else:
            votes = [
                theme not in gold[i]
                for i in read
                if (hit := ws.analyses[i].theme(theme)) and in_context(ws.texts[i], _spans(hit), phrase)
            ]
        if sum(votes) >= 2 and sum(votes) >= share * len(votes):
            confirmed[rule] = "active"
    return confirmed


def oracle(ws: Workspace, rest: list[int], gold: list[set[str]]) -> dict[Rule, str]:
    """The best choice among the rules taught, made with the held-out labels: a ceiling, not a
    policy. A keyword where most answers of ``rest`` it would add the theme to have it, a context
    where most mentions of the theme it would drop are wrong."""
    chosen: dict[Rule, str] = {}
    for rule in ws.status:
        kind, theme, phrase = rule
        if kind == "keyword":
            votes = [
                theme in gold[j]
                for j in rest
                if phrase in answer_words(ws.analyses[j].noun_phrases)
                and theme not in ws.analyses[j].theme_names
            ]
        else:
            votes = [
                theme not in gold[j]
                for j in rest
                if (hit := ws.analyses[j].theme(theme)) and in_context(ws.texts[j], _spans(hit), phrase)
            ]
        chosen[rule] = "active" if votes and sum(votes) > len(votes) / 2 else "proposed"
    return chosen


def _taxonomy(base, status: dict[Rule, str]):
    keywords: dict[str, list[str]] = {}
    excludes: dict[str, list[str]] = {}
    for (kind, theme, phrase), state in status.items():
        if state == "active":
            (keywords if kind == "keyword" else excludes).setdefault(theme, []).append(phrase)
    return apply_rules(base, keywords, excludes)


def curve(title: str, taxonomy_name: str, texts: list[str], gold: list[set[str]], labels) -> None:
    order = list(range(len(texts)))
    random.Random(SEED).shuffle(order)
    half = len(order) // 2
    pool, rest = order[:half], order[half:]
    base = load_taxonomy(taxonomy_name)
    analyzer = Analyzer(base)
    analyses = analyzer.analyze_many(texts)
    rest_texts, rest_gold = [texts[i] for i in rest], [gold[i] for i in rest]

    def f1(taxonomy) -> tuple[float, float, float]:
        predicted = [set(a.theme_names) for a in Analyzer(taxonomy).analyze_many(rest_texts)]
        p, r, f, _ = theme_scores(rest_gold, predicted, labels)["micro"]
        return p, r, f

    before = f1(base)
    common = common_phrases(a.noun_phrases for a in analyses)
    print(f"\n== {title}: {len(pool)} texts to correct, F1 on the other {len(rest)}")
    head = f"  {'corrections':>11} {'policy':<22} {'active':>6} {'taught':>6} {'P':>6} {'R':>6} {'F1':>6}"
    print(f"{head}  (before: P {before[0]:.3f} R {before[1]:.3f} F1 {before[2]:.3f})")
    for learn_after in LEARN_AFTER:
        ws = Workspace(
            texts,
            list(analyses),
            [set(a.theme_names) for a in analyses],
            covered_words(k for theme in base.themes for k in theme.keywords),
            common,
            learn_after,
        )
        current, made, steps, read = analyzer, 0, list(STEPS), []
        for i in pool:
            if not steps:
                break
            read.append(i)
            analysis = current.analyze(texts[i]) if current is not analyzer else analyses[i]
            n, changed = correct(ws, i, analysis, gold[i], labels)
            made += n
            if changed:
                current = Analyzer(_taxonomy(base, ws.status))
            while steps and made >= steps[0]:
                step = steps.pop(0)
                policies = [(f"learn after {learn_after}", ws.status)]
                if learn_after == LEARN_AFTER[0]:
                    policies.append(("+ confirmed when right", careful(ws, read, gold)))
                for policy, status in policies:
                    p, r, f = f1(_taxonomy(base, status))
                    active = sum(s == "active" for s in status.values())
                    print(
                        f"  {step:>11} {policy:<22} {active:>6} {len(ws.status):>6} "
                        f"{p:6.3f} {r:6.3f} {f:6.3f}  ({f - before[2]:+.3f})"
                    )
        if learn_after == LEARN_AFTER[0]:
            best = oracle(ws, rest, gold)
            p, r, f = f1(_taxonomy(base, best))
            print(
                f"  {made:>11} {'ceiling (held-out)':<22} {sum(s == 'active' for s in best.values()):>6} "
                f"{len(ws.status):>6} {p:6.3f} {r:6.3f} {f:6.3f}  ({f - before[2]:+.3f})"
            )
        for rule, status in sorted(ws.status.items()):
            if status != "proposed":
                print(
                    f"    {status:<7} {rule[0]:<7} {rule[1]:<12} {rule[2]!r} ({len(ws.taught[rule])} answers)"
                )


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
