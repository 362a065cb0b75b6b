"""Which language a comment is written in, so only English comments get English sentiment.

VADER and the English spaCy pipeline read any text as English: a mostly negative French comment
("Le service est nul, je suis très déçu") scores neutral or even positive. :func:`detect` is a
small, dependency-free detector, conservative in favour of English (a comment is called another
language only on clear evidence, because an English comment wrongly set aside loses its
sentiment, while a foreign one wrongly kept is what happened before):

- a non-Latin script (Cyrillic, Greek, Arabic, Hebrew, Devanagari, Thai, Hangul, kana, Han)
  making up most of the letters decides by itself;
- Latin text is scored by its share of very frequent function words of English, French, German,
  Spanish, Italian, Portuguese and Dutch (lists written for this module; words shared with
  English such as "a", "in", "is" are left out of the others); another language wins only with
  at least :data:`MIN_HITS` of its words and more than twice English's count.

Anything else is English, and text with no letters at all is ``und`` (undetermined). A library
such as ``lingua-language-detector`` would cover far more languages; this keeps the analyser free
of a new dependency while covering the languages a European customer base writes most.
"""

from __future__ import annotations

import re
import unicodedata

ENGLISH = "en"
UNDETERMINED = "und"
MIN_HITS = 2


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and is are was were it this that of to in for with not but you my i we they have has had "
        "be been very so too just what when there their our your do does did don't can't it's i'm "
        "would could should will from at on an or if all no its me"
    ),
    "fr": _words(
        "le la les des est et une un du je pas que qui ne nous vous très mais pour avec sur dans ce "
        "cette sont être avoir ai été mon ma mes au aux ou il elle ils c'est j'ai n'est plus bien "
        "tout rien toujours jamais aussi déçu merci"
    ),
    "de": _words(
        "der die das und ist nicht ein eine ich sie wir zu mit auf für den dem des es sehr aber "
        "auch noch nur war sind wurde kein keine mein meine bei oder wie was schon immer nie gut "
        "schlecht danke leider"
    ),
    "es": _words(
        "el la los las es y que de en un una no por con para muy pero lo se mi su del al como más "
        "está son fue nunca siempre todo nada también gracias malo bueno porque"
    ),
    "it": _words(
        "il lo la gli le è e che di un una non per con sono molto ma mi del della al come più "
        "anche sempre mai niente tutto grazie ho questo questa perché buono cattivo"
    ),
    "pt": _words(
        "o os as é e que de em um uma não por com para muito mas do da dos das no na ao como mais "
        "está são foi nunca sempre tudo nada também obrigado obrigada porque você"
    ),
    "nl": _words(
        "de het een en is niet ik je wij we zijn van voor met op te dat die er maar ook nog heel "
        "erg geen mijn was waren wel nooit altijd goed slecht bedankt helaas"
    ),
}
# Each function word -> the languages (other than English) whose list holds it, so a text's
# words are looked up once rather than once per language.
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _language, _vocab in _FUNCTION_WORDS.items():
    if _language != ENGLISH:
        for _word in _vocab:
            _LANGUAGES_OF[_word] = (*_LANGUAGES_OF.get(_word, ()), _language)
_ASCII_LETTER = re.compile(r"[A-Za-z]")
# Script of a letter -> language, for scripts that name one language well enough here.
_SCRIPTS = (
    ("CYRILLIC", "ru"),
    ("GREEK", "el"),
    ("ARABIC", "ar"),
    ("HEBREW", "he"),
    ("DEVANAGARI", "hi"),
    ("THAI", "th"),
    ("HANGUL", "ko"),
    ("HIRAGANA", "ja"),
    ("KATAKANA", "ja"),
    ("CJK", "zh"),
)


def _script_language(text: str) -> str | None:
    sample = text[:2000]
    if sample.isascii():  # only Latin letters, if any: no per-character look-up needed
        return None if _ASCII_LETTER.search(sample) else UNDETERMINED
    counts: dict[str, int] = {}
    letters = 0
    for ch in sample:
        if not ch.isalpha():
            continue
        letters += 1
        name = unicodedata.name(ch, "")
        for script, language in _SCRIPTS:
            if name.startswith(script):
                counts[language] = counts.get(language, 0) + 1
                break
    if not letters:
        return UNDETERMINED
    # Japanese mixes kana with Han characters: any kana makes it Japanese, not Chinese.
    if counts.get("ja") and counts.get("zh"):
        counts["ja"] += counts.pop("zh")
    best = max(counts, key=counts.__getitem__, default=None)
    return best if best and counts[best] * 2 > letters else None


def detect(text: str) -> str:
    """ISO 639-1 code of the comment's language (see the module docstring), or ``und``."""
    by_script = _script_language(text)
    if by_script is not None:
        return by_script
    english_words = _FUNCTION_WORDS[ENGLISH]
    hits = dict.fromkeys(_FUNCTION_WORDS, 0)
    english = 0
    for word in _WORD.findall(text[:2000]):
        word = word.lower()
        english += word in english_words
        for language in _LANGUAGES_OF.get(word, ()):
            hits[language] += 1
    del hits[ENGLISH]
    best = max(hits, key=hits.__getitem__)
    if hits[best] >= MIN_HITS and hits[best] > 2 * english:
        return best
    return ENGLISH
