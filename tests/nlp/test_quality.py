"""Quality floor on a slice of the public SemEval-2014 dev data: fails if matching breaks."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from nlp.analyzer import Analyzer

THEMES = {"food", "service", "price", "ambience"}
SLICE = 300
# Measured on this slice: theme micro-F1 0.862 (1.0.0 and 1.1.0); per-theme sentiment accuracy
# (detected pairs) 0.787 at ANALYZER_VERSION 1.0.0, 0.832 at 1.1.0. The floors sit well below,
# to catch breakage, not noise.
F1_FLOOR = 0.72
SENTIMENT_FLOOR = 0.74


def test_quality_semeval2014_slice_above_floor(restaurant: Analyzer, eval_dir: Path) -> None:
    root = ET.parse(eval_dir / "semeval2014_restaurants_train.xml").getroot()
    sentences = list(root.iter("sentence"))[:SLICE]
    texts = [s.findtext("text") or "" for s in sentences]
    gold = [
        {
            c.get("category"): c.get("polarity")
            for c in s.iter("aspectCategory")
            if c.get("category") in THEMES
        }
        for s in sentences
    ]
    analyses = restaurant.analyze_many(texts)
    tp = fp = fn = right = pairs = 0
    for expected, analysis in zip(gold, analyses, strict=True):
        predicted = set(analysis.theme_names)
        tp += len(predicted & set(expected))
        fp += len(predicted - set(expected))
        fn += len(set(expected) - predicted)
        for theme, polarity in expected.items():
            hit = analysis.theme(theme)
            if hit is not None and polarity != "conflict":
                pairs += 1
                right += hit.sentiment.label == polarity
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= F1_FLOOR, f"theme micro-F1 {f1:.3f} below floor {F1_FLOOR}"
    assert right / pairs >= SENTIMENT_FLOOR, f"sentiment accuracy {right / pairs:.3f}"
