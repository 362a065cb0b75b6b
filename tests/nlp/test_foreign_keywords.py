"""Theme keywords per language (nlp.foreign_keywords and the analyser's non-English path):
French, German and Spanish comments tagged with quoted evidence; case, accents and plurals
forgiven; no hit inside another word; English comments unaffected."""

from __future__ import annotations

import json

import pytest

from nlp.analyzer import Analyzer
from nlp.foreign_keywords import LANGUAGES, ForeignMatcher, fold
from nlp.language import detect
from nlp.taxonomies import BUILTIN
from nlp.taxonomy import Taxonomy, load_taxonomy

TAXONOMY = Taxonomy.from_dicts(
    "shop",
    [
        {
            "name": "delivery",
            "keywords": ["delivery", "parcel"],
            "keywords_by_language": {
                "fr": ["livraison", "colis", "délai de livraison"],
                "de": ["Lieferung", "Paket", "Straße"],
                "es": ["entrega", "paquete", "retraso"],
            },
        },
        {"name": "support", "keywords": ["support"], "keywords_by_language": {"fr": ["service client"]}},
        {"name": "price", "keywords": ["price"], "keywords_by_language": {"fr": ["prix"], "de": ["Preis"]}},
    ],
)


@pytest.fixture(scope="module")
def shop() -> Analyzer:
    return Analyzer(TAXONOMY)


def quoted(analysis, theme):
    hit = analysis.theme(theme)
    return None if hit is None else [(e.text, e.start, e.end) for e in hit.evidence]


def test_french_comment_tagged_with_quoted_evidence_and_no_english_sentiment(shop: Analyzer) -> None:
    text = "Les COLIS arrivent toujours en retard et le Délai de livraison n'est jamais respecté."
    analysis = shop.analyze(text)
    assert analysis.language == "fr"
    assert quoted(analysis, "delivery") == [("COLIS", 4, 9), ("Délai de livraison", 44, 62)]
    for hit in analysis.themes:
        for e in hit.evidence:
            assert text[e.start : e.end] == e.text
        assert hit.sentiment.label == "neutral" and hit.sentiment.compound == 0.0
    assert analysis.sentiment.label == "neutral"
    assert analysis.to_dict()["themes"][0]["evidence"][0] == {"text": "COLIS", "start": 4, "end": 9}


def test_german_and_spanish_plurals_accents_and_sharp_s(shop: Analyzer) -> None:
    german = shop.analyze(
        "Die Lieferungen sind nie pünktlich, die Pakete sind kaputt und die STRASSE ist falsch."
    )
    assert german.language == "de"
    assert [t for t, _, _ in quoted(german, "delivery")] == ["Lieferungen", "Pakete", "STRASSE"]
    spanish = shop.analyze("Los paquetes llegaron tarde, siempre hay retrasos con la entrega y no me gusta.")
    assert spanish.language == "es"
    assert [t for t, _, _ in quoted(spanish, "delivery")] == ["paquetes", "retrasos", "entrega"]


def test_no_hit_inside_another_word_or_in_another_language(shop: Analyzer) -> None:
    # "colisage" holds "colis", "Paketdienst" holds "Paket": neither is the word.
    french = shop.analyze("Le colisage est nul et je ne suis pas content du tout.")
    assert french.language == "fr" and french.themes == ()
    german = shop.analyze("Der Paketdienst ist nicht gut und ich bin sehr enttäuscht.")
    assert german.language == "de" and german.themes == ()
    # A French keyword does not tag a German comment, nor an English one.
    assert shop.analyze("Die Livraison ist nicht gut und ich bin sehr enttäuscht.").themes == ()
    english = shop.analyze("The colis and the Lieferung were late.")
    assert english.language == "en" and english.themes == ()


def test_multi_word_keyword_in_order_only(shop: Analyzer) -> None:
    found = shop.analyze("Le service-client ne répond jamais et je suis très déçu.")
    assert quoted(found, "support") == [("service-client", 3, 17)]
    # The same words in another order, or apart, are not the keyword.
    apart = shop.analyze("Le client du service ne répond jamais et je suis très déçu.")
    assert apart.language == "fr" and apart.theme("support") is None


def test_short_keywords_are_not_inflected(shop: Analyzer) -> None:
    assert quoted(shop.analyze("Le prix est trop élevé et je ne suis pas content."), "price")
    # "prix" has four letters so "prixe" would pass; "Preis" gets its plural.
    assert quoted(shop.analyze("Die Preise sind nicht gut und ich bin sehr enttäuscht."), "price") == [
        ("Preise", 4, 10)
    ]


def test_english_keywords_still_count_and_overlaps_keep_the_longest(shop: Analyzer) -> None:
    analysis = shop.analyze("Le support ne répond pas et le colis est perdu, je suis très déçu.")
    assert analysis.theme_names == ("delivery", "support")
    taxonomy = Taxonomy.from_dicts(
        "t",
        [
            {"name": "a", "keywords_by_language": {"fr": ["service"]}},
            {"name": "b", "keywords_by_language": {"fr": ["service client"]}},
        ],
    )
    analysis = Analyzer(taxonomy).analyze("Le service client est nul et je ne suis pas content.")
    assert analysis.theme_names == ("b",)


def test_learned_exclusion_applies_to_language_keywords() -> None:
    taxonomy = Taxonomy.from_dicts(
        "t", [{"name": "delivery", "keywords_by_language": {"fr": ["colis"]}, "excludes": ["colis cadeau"]}]
    )
    analyzer = Analyzer(taxonomy)
    assert analyzer.analyze("Le colis cadeau est joli mais je ne suis pas content.").themes == ()
    assert analyzer.analyze("Le colis est perdu et je ne suis pas content.").theme_names == ("delivery",)


def test_english_results_unchanged_by_language_keywords() -> None:
    plain = Taxonomy.from_dicts("t", [{"name": "delivery", "keywords": ["delivery"]}])
    texts = ["The delivery was late but the colis was fine.", "Delivery: great, livraison too!"]
    with_languages = Analyzer(TAXONOMY).analyze_many(texts)
    without = Analyzer(plain).analyze_many(texts)
    for a, b in zip(with_languages, without, strict=True):
        assert a.language == "en"
        assert a.theme("delivery") == b.theme("delivery")
        assert a.sentiment == b.sentiment


def test_fold_keeps_offsets_for_expanding_letters() -> None:
    folded, origin = fold("Straße Œuvre Ça")
    assert folded == "strasse oeuvre ca"
    assert len(origin) == len(folded) and origin[4] == origin[5] == 4


def test_unspaced_scripts_match_substrings() -> None:
    matcher = ForeignMatcher([("delivery", {"zh": ["快递"]}), ("price", {"ru": ["цена"]})])
    assert matcher.find("快递太慢了", "zh") == [("delivery", 0, 2)]
    assert matcher.find("ЦЕНА слишком высокая", "ru") == [("price", 0, 4)]
    assert matcher.find("Ценность", "ru") == []


def test_every_language_code_is_one_the_detector_names() -> None:
    samples = {
        "fr": "Le service est nul, je suis très déçu",
        "de": "Der Service ist nicht gut und sehr langsam",
        "es": "El servicio es muy malo y nunca funciona",
        "it": "Il servizio è molto lento e non funziona",
        "pt": "O serviço é muito lento e não funciona",
        "nl": "De service is niet goed en heel traag",
        "ru": "Сервис очень медленный",
        "el": "Η υπηρεσία είναι αργή",
        "ar": "الخدمة بطيئة جدا",
        "he": "השירות איטי מאוד",
        "hi": "सेवा बहुत धीमी है",
        "th": "บริการช้ามาก",
        "ko": "서비스가 너무 느려요",
        "ja": "サービスがとても遅いです",
        "zh": "服务太慢了",
    }
    assert set(samples) == set(LANGUAGES)
    for code, text in samples.items():
        assert detect(text) == code, code


def test_taxonomy_validates_and_round_trips_language_keywords(tmp_path) -> None:
    with pytest.raises(ValueError, match="'xx', not one of"):
        Taxonomy.from_dicts("t", [{"name": "a", "keywords_by_language": {"xx": ["a"]}}])
    with pytest.raises(ValueError, match="must be an object"):
        Taxonomy.from_dicts("t", [{"name": "a", "keywords_by_language": ["fr"]}])
    with pytest.raises(ValueError, match="is not a string"):
        Taxonomy.from_dicts("t", [{"name": "a", "keywords_by_language": {"fr": [3]}}])
    theme = Taxonomy.from_dicts(
        "t", [{"name": "a", "keywords_by_language": {"fr": [" colis ", "Colis", ""], "de": []}}]
    ).themes[0]
    assert theme.language_keywords == {"fr": ["colis"]}
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(TAXONOMY.to_dict()), encoding="utf-8")
    assert load_taxonomy(path) == TAXONOMY
    assert "keywords_by_language" not in Taxonomy.from_dicts("t", [{"name": "a"}]).themes[0].to_dict()


def test_builtin_taxonomies_carry_french_german_spanish_keywords() -> None:
    for name in BUILTIN:
        taxonomy = load_taxonomy(name)
        main = [t for t in taxonomy.themes if t.name != "overall"]
        for theme in main:
            assert {"fr", "de", "es"} <= set(theme.language_keywords), (name, theme.name)
    saas = Analyzer("saas")
    analysis = saas.analyze("La facturation est un cauchemar et le service client ne répond jamais.")
    assert analysis.language == "fr"
    assert {"billing", "support"} <= set(analysis.theme_names)
    restaurant = Analyzer("restaurant")
    analysis = restaurant.analyze("Die Bedienung war unfreundlich und das Essen war kalt, leider.")
    assert analysis.language == "de" and {"service", "food"} <= set(analysis.theme_names)
