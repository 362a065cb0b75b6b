"""Build ``nlp/data/english_frequency.tsv.gz``, the general-English background that emerging
phrases are ranked against (run by a maintainer, never at run time; the file is committed).

Source: wordfreq 3.1.1 (``pip install wordfreq==3.1.1`` in a scratch virtualenv), its ``large``
English list, which blends Wikipedia, subtitles, news, books, web text, Twitter and Reddit.
wordfreq's code is Apache-2.0; its data is CC BY-SA 4.0 (Robyn Speer, "rspeer/wordfreq",
https://doi.org/10.5281/zenodo.7199437), and so is the derived file, which says so in its header.

Kept: the 40,000 most frequent English words made only of letters, lower-cased, each with its
Zipf frequency (log10 of occurrences per billion words) to two decimals.

Run: ``/path/to/scratch/python bench/make_english_frequency.py``
"""

import gzip
from pathlib import Path

import wordfreq

OUT = Path(__file__).resolve().parents[1] / "nlp" / "data" / "english_frequency.tsv.gz"
WORDS = 40_000


def main() -> None:
    kept = []
    for word in wordfreq.top_n_list("en", WORDS * 2, wordlist="large"):
        if word.isalpha() and word.isascii():
            kept.append((word, wordfreq.zipf_frequency(word, "en", wordlist="large")))
        if len(kept) == WORDS:
            break
    header = (
        f"# General English word frequencies: the {WORDS:,} most frequent alphabetic words of "
        "wordfreq 3.1.1's 'large' English list, as Zipf values (log10 per billion words).\n"
        "# Data: wordfreq by Robyn Speer, CC BY-SA 4.0 (https://github.com/rspeer/wordfreq); this "
        "derived file is CC BY-SA 4.0 too. Built by bench/make_english_frequency.py.\n"
    )
    # mtime=0: the same input gives the same bytes, so a rebuild shows no spurious change.
    with gzip.GzipFile(OUT, "wb", mtime=0) as raw:
        raw.write((header + "".join(f"{w}\t{z:.2f}\n" for w, z in kept)).encode())
    print(f"{OUT}: {len(kept)} words, {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
