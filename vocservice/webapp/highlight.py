"""Evidence highlighting: split a comment at the stored evidence offsets into plain and marked
pieces. Templates render each piece through autoescaping; nothing here is ever marked safe.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Piece:
    text: str
    mark: bool = False
    themes: tuple[str, ...] = ()


def pieces(comment: str | None, themes: list[dict]) -> list[Piece]:
    """``comment`` cut into pieces, the evidence spans of ``themes`` marked (overlaps merged)."""
    if not comment:
        return []
    spans: list[tuple[int, int, str]] = []
    for theme in themes or ():
        for evidence in theme.get("evidence") or ():
            start, end = evidence.get("start"), evidence.get("end")
            # Offsets from an older text (the comment was edited later) are ignored, not trusted.
            if (
                isinstance(start, int)
                and isinstance(end, int)
                and 0 <= start < end <= len(comment)
                and comment[start:end] == evidence.get("text", comment[start:end])
            ):
                spans.append((start, end, theme.get("name", "")))
    if not spans:
        return [Piece(comment)]
    spans.sort()
    merged: list[list] = []
    for start, end, name in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            if name not in merged[-1][2]:
                merged[-1][2].append(name)
        else:
            merged.append([start, end, [name]])
    out: list[Piece] = []
    position = 0
    for start, end, names in merged:
        if start > position:
            out.append(Piece(comment[position:start]))
        out.append(Piece(comment[start:end], True, tuple(names)))
        position = end
    if position < len(comment):
        out.append(Piece(comment[position:]))
    return out
