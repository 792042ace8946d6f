"""The money parser on German and English news forms: values, currencies, qualifiers and verbatim spans."""

from __future__ import annotations

import pytest

from newscorpus.extract.money import parse_amount, parse_amounts

B = 10**9
M = 10**6
T = 10**12

# (input text, value, currency, qualifier, expected verbatim span)
SINGLE_AMOUNTS = [
    # German, digits
    ("12,5 Milliarden Dollar", 12_500_000_000, "USD", "exact", "12,5 Milliarden Dollar"),
    ("mehr als 53 Milliarden US-Dollar", 53 * B, "USD", "more_than", "mehr als 53 Milliarden US-Dollar"),
    ("die Erreichung des 30-Milliarden-Dollar-Ziels", 30 * B, "USD", "exact", "30-Milliarden-Dollar"),
    ("ein 100-Milliarden-Dollar-Plan", 100 * B, "USD", "exact", "100-Milliarden-Dollar"),
    ("1 Billion Dollar", 1 * T, "USD", "exact", "1 Billion Dollar"),
    ("7,8 Mrd. Euro", 7_800_000_000, "EUR", "exact", "7,8 Mrd. Euro"),
    ("3 Mio. €", 3 * M, "EUR", "exact", "3 Mio. €"),
    ("500 Milliarden Dollar", 500 * B, "USD", "exact", "500 Milliarden Dollar"),
    ("über 500 Milliarden Dollar", 500 * B, "USD", "more_than", "über 500 Milliarden Dollar"),
    ("Über 1 Mrd. € fließen", 1 * B, "EUR", "more_than", "Über 1 Mrd. €"),
    ("bis zu 2 Milliarden Euro", 2 * B, "EUR", "up_to", "bis zu 2 Milliarden Euro"),
    ("mindestens 1 Milliarde Euro", 1 * B, "EUR", "at_least", "mindestens 1 Milliarde Euro"),
    ("rund 4 Milliarden Euro", 4 * B, "EUR", "about", "rund 4 Milliarden Euro"),
    ("etwa 4 Milliarden Euro", 4 * B, "EUR", "about", "etwa 4 Milliarden Euro"),
    ("ca. 4 Milliarden Euro", 4 * B, "EUR", "about", "ca. 4 Milliarden Euro"),
    ("knapp 4 Milliarden Euro", 4 * B, "EUR", "almost", "knapp 4 Milliarden Euro"),
    ("gut 4 Milliarden Euro", 4 * B, "EUR", "about", "gut 4 Milliarden Euro"),
    ("nahezu 4 Milliarden Euro", 4 * B, "EUR", "about", "nahezu 4 Milliarden Euro"),
    ("weit mehr als 4 Milliarden Euro", 4 * B, "EUR", "more_than", "weit mehr als 4 Milliarden Euro"),
    ("1.250.000 Euro", 1_250_000, "EUR", "exact", "1.250.000 Euro"),
    ("1,2 Mio. Euro", 1_200_000, "EUR", "exact", "1,2 Mio. Euro"),
    ("Kosten von 1.234,56 Euro", 1234.56, "EUR", "exact", "1.234,56 Euro"),
    ("1.250 Milliarden Euro", 1_250 * B, "EUR", "exact", "1.250 Milliarden Euro"),
    ("CHF 500 Mio.", 500 * M, "CHF", "exact", "CHF 500 Mio."),
    ("USD 2,5 Mrd.", 2_500_000_000, "USD", "exact", "USD 2,5 Mrd."),
    ("25 Millionen Franken", 25 * M, "CHF", "exact", "25 Millionen Franken"),
    ("10 Mrd. Yen", 10 * B, "JPY", "exact", "10 Mrd. Yen"),
    ("250 Millionen Yuan", 250 * M, "CNY", "exact", "250 Millionen Yuan"),
    ("3 Milliarden Pfund", 3 * B, "GBP", "exact", "3 Milliarden Pfund"),
    ("500 Euro", 500, "EUR", "exact", "500 Euro"),
    ("Nvidia (4 Billionen US-Dollar)", 4 * T, "USD", "exact", "4 Billionen US-Dollar"),
    ("vier Milliarden", 4 * B, None, "exact", "vier Milliarden"),
    # German, number words
    ("fast acht Milliarden Euro", 8 * B, "EUR", "almost", "fast acht Milliarden Euro"),
    ("vier Billionen Dollar", 4 * T, "USD", "exact", "vier Billionen Dollar"),
    ("zwölf Millionen Euro", 12 * M, "EUR", "exact", "zwölf Millionen Euro"),
    ("eine Milliarde Dollar", 1 * B, "USD", "exact", "eine Milliarde Dollar"),
    ("mit einer Milliarde Euro", 1 * B, "EUR", "exact", "einer Milliarde Euro"),
    ("Vier Milliarden Dollar flossen", 4 * B, "USD", "exact", "Vier Milliarden Dollar"),
    ("zwanzig Millionen Euro", 20 * M, "EUR", "exact", "zwanzig Millionen Euro"),
    ("dreißig Milliarden Euro", 30 * B, "EUR", "exact", "dreißig Milliarden Euro"),
    ("fünfundzwanzig Millionen Euro", 25 * M, "EUR", "exact", "fünfundzwanzig Millionen Euro"),
    ("hundert Millionen Euro", 100 * M, "EUR", "exact", "hundert Millionen Euro"),
    ("zweieinhalb Milliarden Euro", 2_500_000_000, "EUR", "exact", "zweieinhalb Milliarden Euro"),
    ("eine halbe Milliarde Euro", 500 * M, "EUR", "exact", "eine halbe Milliarde Euro"),
    ("ein Zwei-Milliarden-Euro-Deal", 2 * B, "EUR", "exact", "Zwei-Milliarden-Euro"),
    # English
    ("$30 billion", 30 * B, "USD", "exact", "$30 billion"),
    ("US$100 billion", 100 * B, "USD", "exact", "US$100 billion"),
    ("$40bn", 40 * B, "USD", "exact", "$40bn"),
    ("€2.5m", 2_500_000, "EUR", "exact", "€2.5m"),
    ("$300", 300, "USD", "exact", "$300"),
    ("nearly $1 trillion", 1 * T, "USD", "almost", "nearly $1 trillion"),
    ("more than $5 billion", 5 * B, "USD", "more_than", "more than $5 billion"),
    ("up to €10 billion", 10 * B, "EUR", "up_to", "up to €10 billion"),
    ("at least 200 million dollars", 200 * M, "USD", "at_least", "at least 200 million dollars"),
    ("about 3.5 billion euros", 3_500_000_000, "EUR", "about", "about 3.5 billion euros"),
    ("1,250,000 dollars", 1_250_000, "USD", "exact", "1,250,000 dollars"),
    ("£3 billion", 3 * B, "GBP", "exact", "£3 billion"),
    ("$30 Billion headline", 30 * B, "USD", "exact", "$30 Billion"),
    ("USD2.5bn", 2_500_000_000, "USD", "exact", "USD2.5bn"),
    ("$500k seed", 500_000, "USD", "exact", "$500k"),
    ("a $5B deal", 5 * B, "USD", "exact", "$5B"),
    ("a billion dollars", 1 * B, "USD", "exact", "a billion dollars"),
    ("half a billion dollars", 500 * M, "USD", "exact", "half a billion dollars"),
    ("twenty-five million pounds", 25 * M, "GBP", "exact", "twenty-five million pounds"),
    ("roughly 2 billion Swiss francs", 2 * B, "CHF", "about", "roughly 2 billion Swiss francs"),
    ("5 billion won", 5 * B, "KRW", "exact", "5 billion won"),
    ("well over $1 billion", 1 * B, "USD", "more_than", "well over $1 billion"),
    ("1,250 million dollars", 1_250 * M, "USD", "exact", "1,250 million dollars"),
]


@pytest.mark.parametrize(("text", "value", "currency", "qualifier", "span"), SINGLE_AMOUNTS)
def test_single_amount(text: str, value: int | float, currency: str | None, qualifier: str, span: str) -> None:
    found = parse_amounts(text, passage_id="a1#p1")
    assert len(found) == 1, found
    amount = found[0]
    assert amount.value == value
    assert type(amount.value) is type(value)
    assert amount.currency == currency
    assert amount.qualifier == qualifier
    assert amount.text == span
    assert amount.text in text
    assert amount.passage_id == "a1#p1"
    assert amount.role is None


NOT_AMOUNTS = [
    "Der Milliarden-Deal ist unterzeichnet.",
    "Nach einem Milliarden-Deal zur Integration von Gemini",
    "ein Milliarden-Dollar-Deal",
    "Die Milliardenkooperation wurde verlängert.",
    "Die Konzerne investieren Milliarden in Rechenzentren.",
    "geplant sind 75–100 GW Leistung",
    "ein Rechner mit 50 Petaflops",
    "Der Anteil liegt bei 37%.",
    "bis 2030",
    "Nummer 123",
    "Die Firma will bis 2030 Milliarden investieren.",
    "ein Euro-Land wie Griechenland",
    "a 5m stretch of road",
    "5 Bio-Läden",
    "a billion people",
    "who in 2019 won the award",
    "5 Dollarnoten",
    "mehrere Millionen Euro",
    "",
]


@pytest.mark.parametrize("text", NOT_AMOUNTS)
def test_not_an_amount(text: str) -> None:
    assert parse_amounts(text) == []
    assert parse_amount(text) is None


def test_amount_and_conversion_in_parentheses() -> None:
    text = "Das Joint Venture erhält 250 Millionen Yuan (rund 35,9 Millionen US-Dollar)."
    found = parse_amounts(text, passage_id="x#p2")
    assert [(a.value, a.currency, a.qualifier, a.text) for a in found] == [
        (250 * M, "CNY", "exact", "250 Millionen Yuan"),
        (35_900_000, "USD", "about", "rund 35,9 Millionen US-Dollar"),
    ]
    assert all(a.passage_id == "x#p2" for a in found)


def test_multi_amount_sentence_in_order_and_non_overlapping() -> None:
    text = (
        "Microsoft investiert 12,5 Milliarden Dollar, Google fast acht Milliarden Euro; "
        "insgesamt fließen mehr als $20 billion, darunter 3 Mio. € Fördergeld und vier Milliarden vom Staat."
    )
    found = parse_amounts(text)
    assert [(a.value, a.currency, a.qualifier) for a in found] == [
        (12_500_000_000, "USD", "exact"),
        (8 * B, "EUR", "almost"),
        (20 * B, "USD", "more_than"),
        (3 * M, "EUR", "exact"),
        (4 * B, None, "exact"),
    ]
    starts = [text.index(a.text) for a in found]
    assert starts == sorted(starts)
    for a, start in zip(found, starts, strict=True):
        assert text[start : start + len(a.text)] == a.text
    ends = [s + len(a.text) for a, s in zip(found, starts, strict=True)]
    assert all(end <= nxt for end, nxt in zip(ends, starts[1:], strict=False))


def test_range_yields_only_the_upper_bound_with_its_scale() -> None:
    # The lower bound of "2 bis 3 Milliarden" has no scale or currency of its own, so it is not reported.
    assert [a.text for a in parse_amounts("zwischen 2 und 3 Milliarden Euro")] == ["3 Milliarden Euro"]


def test_parse_amount_returns_the_first() -> None:
    first = parse_amount("erst $40bn, dann €2.5m")
    assert first is not None
    assert (first.value, first.currency, first.text) == (40 * B, "USD", "$40bn")


def test_german_billion_is_a_trillion_english_billion_is_not() -> None:
    assert parse_amounts("1 Billion Dollar")[0].value == 10**12
    assert parse_amounts("1 billion dollars")[0].value == 10**9
    assert parse_amounts("3,5 Billion Dollar")[0].value == 3_500_000_000_000
    assert parse_amounts("3.5 Billion dollars")[0].value == 3_500_000_000


def test_a_scale_word_matched_only_by_unicode_case_folding_is_no_amount() -> None:
    from newscorpus.extract.money import parse_amounts

    assert parse_amounts("vier Mıllıarden") == []
