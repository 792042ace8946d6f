"""The search analyzer on the issue's examples: folding, stemming, lemmas, compounds, numbers, stop words."""

from __future__ import annotations

import pickle

import pytest

from newscorpus.index.analysis import AnalysisConfig, analyze, text_analyzer


def terms(text: str) -> set[str]:
    return set(analyze(text))


def query_terms(text: str) -> list[str]:
    return analyze(text, mode="query")


@pytest.mark.parametrize(("a", "b"), [("München", "Muenchen"), ("Börsenwert", "Boersenwert"), ("Straße", "Strasse")])
def test_umlaut_and_sharp_s_spellings_meet(a: str, b: str) -> None:
    assert query_terms(a) == query_terms(b)


@pytest.mark.parametrize(("singular", "plural"), [("Rechenzentrum", "Rechenzentren"), ("Konsortium", "Konsortien"),
                                                  ("Firma", "Firmen"), ("Milliarde", "Milliarden")])
def test_singular_and_plural_meet(singular: str, plural: str) -> None:
    assert query_terms(singular) == query_terms(plural)


@pytest.mark.parametrize(("a", "b"), [("fließt", "fließen"), ("sammelte", "sammeln"), ("gründete", "gegründet"),
                                      ("investierte", "investiert"), ("trat", "treten")])
def test_verb_forms_meet(a: str, b: str) -> None:
    assert query_terms(a) == query_terms(b)


@pytest.mark.parametrize(("participle", "split_form"), [("eingesammelt", "sammelte"), ("zurückgetreten", "tritt"),
                                                        ("aufgebracht", "brachte")])
def test_a_separable_verb_finds_its_split_main_clause_form(participle: str, split_form: str) -> None:
    """`Die Partnerschaft sammelte 12,5 Milliarden ein` must be found by `eingesammelt`."""
    assert set(query_terms(split_form)) <= set(query_terms(participle))
    assert set(query_terms(split_form)) <= terms(participle)


def test_without_lemmas_snowball_leaves_plurals_and_verb_forms_apart() -> None:
    no_lemmas = AnalysisConfig(lemmas=False)
    assert analyze("Rechenzentrum", no_lemmas) != analyze("Rechenzentren", no_lemmas)
    assert analyze("fließt", no_lemmas) != analyze("fließen", no_lemmas)


def test_folding_matters_where_snowball_does_not_fold() -> None:
    """Snowball folds umlauts, ß and `ue` itself; accents it leaves, and without stemming folding does all."""
    assert query_terms("Société Générale") == query_terms("Societe Generale")
    unstemmed = AnalysisConfig(stemming=False)
    assert analyze("Rückgrat", unstemmed) == analyze("Rueckgrat", unstemmed)
    assert analyze("Rückgrat", unstemmed.model_copy(update={"folding": False})) != analyze(
        "Rueckgrat", unstemmed.model_copy(update={"folding": False})
    )


def test_hyphenated_compound_is_indexed_whole_and_in_parts() -> None:
    indexed = terms("KI-Rechenzentren")
    assert set(query_terms("KI-Rechenzentren")) <= indexed
    assert set(query_terms("Rechenzentrum")) <= indexed
    assert set(query_terms("KI")) <= indexed


@pytest.mark.parametrize(
    ("compound", "parts"),
    [
        ("Energieinfrastruktur", ["Energie", "Infrastruktur"]),
        ("Rechenzentrumsstandorte", ["Rechenzentrum", "Standort"]),
        ("Gemeinschaftsunternehmen", ["Gemeinschaft", "Unternehmen"]),
        ("Stromerzeugung", ["Strom", "Erzeugung"]),
        ("Kernenergie", ["Kern", "Energie"]),
        ("Fusionskraftwerk", ["Fusion", "Kraftwerk"]),
    ],
)
def test_closed_compounds_are_split(compound: str, parts: list[str]) -> None:
    indexed = terms(compound)
    for part in parts:
        assert set(query_terms(part)) <= indexed, part


def test_low_scoring_splits_are_refused() -> None:
    # The splitter's best guess for Milliarden is Milli|arden; the threshold must reject it.
    assert terms("Milliarden") == set(query_terms("Milliarden"))
    # Lower-case words (verbs, adjectives) are never split: offenbart is not Offen|Bart.
    assert terms("offenbart") == set(query_terms("offenbart"))


def test_queries_are_not_decompounded() -> None:
    assert query_terms("Energieinfrastruktur") == ["energieinfrastruktur"]


@pytest.mark.parametrize(("a", "b"), [("12,5 Milliarden", "12.5 Milliarden"), ("75–100 GW", "75-100 GW"),
                                      ("1.000 Stellen", "1,000 Stellen")])
def test_number_forms_meet(a: str, b: str) -> None:
    assert query_terms(a) == query_terms(b)


def test_a_question_keeps_only_its_keywords() -> None:
    assert query_terms("Wer hat das Gemeinschaftsunternehmen gegründet?") == query_terms(
        "Gemeinschaftsunternehmen gegründet"
    )
    assert query_terms("Which company did Alibaba found the joint venture with?") == query_terms(
        "company Alibaba found joint venture"
    )


def test_plain_configuration_only_lowercases() -> None:
    plain = AnalysisConfig.plain()
    assert analyze("Die KI-Rechenzentren in München", plain) == ["die", "ki", "rechenzentren", "in", "münchen"]


def test_phrase_positions_survive_compound_parts() -> None:
    from newscorpus.index.analysis import text_analyzer

    tokens = [(t.text, t.pos) for t in text_analyzer()("eine European Sovereign Cloud", positions=True)]
    positions = {text: pos for text, pos in tokens}
    assert positions["european"] + 1 == positions["sovereign"] and positions["sovereign"] + 1 == positions["cloud"]


def test_word_caches_give_the_same_terms_and_are_pickled_empty() -> None:
    analyzer = text_analyzer()
    text = "Die KI-Rechenzentren der Rechenzentrumsbetreiber in München: 12,5 Milliarden"
    first = [t.text for t in analyzer(text)]
    again = [t.text for t in analyzer(text)]
    reopened = pickle.loads(pickle.dumps(analyzer))
    assert first == again == [t.text for t in reopened(text)] == analyze(text)
    assert all(not getattr(f, "cache", {}) for f in pickle.loads(pickle.dumps(analyzer)).items)
    assert reopened == analyzer


def test_filters_pickled_without_a_cache_still_analyze() -> None:
    """An index built before the word caches existed holds filters without one."""
    analyzer = text_analyzer()
    for f in analyzer.items:
        f.__dict__.pop("cache", None)
    old = pickle.loads(pickle.dumps(analyzer))
    assert [t.text for t in old("Rechenzentren in München", mode="query")] == analyze(
        "Rechenzentren in München", mode="query"
    )
