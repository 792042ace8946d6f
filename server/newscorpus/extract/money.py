"""Money amounts in German and English news text: `parse_amounts` and `parse_amount`.

Why a hand-written parser: deal extraction needs each amount both as written (the verbatim span, so it can
be cited) and as a normalized value, and this corpus mixes German and English conventions that generic
number parsers get wrong:

- decimal comma vs. decimal point: "12,5" and "3.5", "1.250.000" and "1,250,000";
- German "Billion" is 10^12, English "billion" is 10^9 (a capitalized "Billion" counts as German unless the
  amount is otherwise written the English way, e.g. "$30 Billion");
- abbreviations ("Mrd.", "Mio.", "bn", "$40bn", "€2.5m"), number words ("fast acht Milliarden Euro"),
  and hyphenated compounds inside longer words ("30-Milliarden-Dollar-Ziels").

An amount has the shape `[qualifier] [prefix currency] number [scale] [suffix currency]`. It counts only when
it says it is money or large: it names a currency, or it has a scale of a million or more ("vier Milliarden").
A bare number ("2030", "75–100 GW", "37%") is never an amount, a number-less word ("Milliarden-Deal") neither,
and `currency` stays None unless the text names one. Everything below is an immutable table; the one regex
is compiled from those tables at import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Literal

from newscorpus.extract.textutil import fold_safe
from newscorpus.models import Amount, Qualifier

Lang = Literal["de", "en"] | None

# --- tables -------------------------------------------------------------------------------------------

# Words before the number that qualify it. Longer phrases win over their prefixes ("knapp über" > "knapp").
QUALIFIERS: tuple[tuple[str, Qualifier, Lang], ...] = (
    ("rund", "about", "de"),
    ("etwa", "about", "de"),
    ("ca.", "about", "de"),
    ("circa", "about", None),
    ("zirka", "about", "de"),
    ("ungefähr", "about", "de"),
    ("gut", "about", "de"),
    ("nahezu", "about", "de"),
    ("annähernd", "about", "de"),
    ("schätzungsweise", "about", "de"),
    ("um die", "about", "de"),
    ("fast", "almost", "de"),
    ("knapp", "almost", "de"),
    ("beinahe", "almost", "de"),
    ("knapp unter", "almost", "de"),
    ("mehr als", "more_than", "de"),
    ("über", "more_than", "de"),
    ("weit über", "more_than", "de"),
    ("deutlich über", "more_than", "de"),
    ("knapp über", "more_than", "de"),
    ("weit mehr als", "more_than", "de"),
    ("deutlich mehr als", "more_than", "de"),
    ("etwas mehr als", "more_than", "de"),
    ("bis zu", "up_to", "de"),
    ("maximal", "up_to", "de"),
    ("höchstens", "up_to", "de"),
    ("weniger als", "up_to", "de"),
    ("mindestens", "at_least", "de"),
    ("wenigstens", "at_least", "de"),
    ("about", "about", "en"),
    ("around", "about", "en"),
    ("approximately", "about", "en"),
    ("roughly", "about", "en"),
    ("some", "about", "en"),
    ("an estimated", "about", "en"),
    ("estimated", "about", "en"),
    ("almost", "almost", "en"),
    ("nearly", "almost", "en"),
    ("just under", "almost", "en"),
    ("close to", "almost", "en"),
    ("more than", "more_than", "en"),
    ("over", "more_than", "en"),
    ("above", "more_than", "en"),
    ("well over", "more_than", "en"),
    ("just over", "more_than", "en"),
    ("in excess of", "more_than", "en"),
    ("upwards of", "more_than", "en"),
    ("up to", "up_to", "en"),
    ("as much as", "up_to", "en"),
    ("less than", "up_to", "en"),
    ("at least", "at_least", "en"),
    ("no less than", "at_least", "en"),
)

# Scale words: (form, factor, language). "Billion" is resolved by case and context, see `_scale`.
SCALES: tuple[tuple[str, int, Lang], ...] = (
    ("Tausend", 10**3, "de"),
    ("Tsd.", 10**3, "de"),
    ("thousand", 10**3, "en"),
    ("Million", 10**6, None),
    ("Millionen", 10**6, "de"),
    ("Mio.", 10**6, "de"),
    ("Mio", 10**6, "de"),
    ("mn", 10**6, "en"),
    ("mln", 10**6, "en"),
    ("Milliarde", 10**9, "de"),
    ("Milliarden", 10**9, "de"),
    ("Mrd.", 10**9, "de"),
    ("Mrd", 10**9, "de"),
    ("bn", 10**9, "en"),
    ("bln", 10**9, "en"),
    ("Billion", 10**12, None),
    ("Billionen", 10**12, "de"),
    ("Bio.", 10**12, "de"),
    ("trillion", 10**12, "en"),
    ("tn", 10**12, "en"),
    ("trn", 10**12, "en"),
)
# Single letters glued to digits ("€2.5m", "$500k", "$5B"); only with a currency, since "5m" is also metres.
ATTACHED_SCALES: Mapping[str, int] = MappingProxyType({"k": 10**3, "m": 10**6, "b": 10**9})

# Currency written before the number. Letter codes match case-sensitively.
PREFIX_CURRENCIES: tuple[tuple[str, str, Lang], ...] = (
    ("US$", "USD", "en"),
    ("US-$", "USD", None),
    ("A$", "AUD", "en"),
    ("C$", "CAD", "en"),
    ("HK$", "HKD", "en"),
    ("NT$", "TWD", "en"),
    ("S$", "SGD", "en"),
    ("$", "USD", "en"),
    ("€", "EUR", None),
    ("£", "GBP", "en"),
    ("¥", "JPY", None),
    ("USD", "USD", None),
    ("EUR", "EUR", None),
    ("GBP", "GBP", None),
    ("CHF", "CHF", None),
    ("JPY", "JPY", None),
    ("CNY", "CNY", None),
    ("RMB", "CNY", None),
)

# Currency written after the number (or scale). Matched case-insensitively; longer forms win.
SUFFIX_CURRENCIES: tuple[tuple[str, str, Lang], ...] = (
    ("US-Dollar", "USD", "de"),
    ("US-Dollars", "USD", "de"),
    ("US Dollar", "USD", None),
    ("US dollars", "USD", "en"),
    ("U.S. dollar", "USD", "en"),
    ("U.S. dollars", "USD", "en"),
    ("Dollar", "USD", None),
    ("dollars", "USD", "en"),
    ("USD", "USD", None),
    ("$", "USD", None),
    ("Euro", "EUR", None),
    ("euros", "EUR", "en"),
    ("EUR", "EUR", None),
    ("€", "EUR", None),
    ("Pfund Sterling", "GBP", "de"),
    ("britische Pfund", "GBP", "de"),
    ("britischen Pfund", "GBP", "de"),
    ("Pfund", "GBP", "de"),
    ("pounds sterling", "GBP", "en"),
    ("pounds", "GBP", "en"),
    ("pound", "GBP", "en"),
    ("sterling", "GBP", "en"),
    ("GBP", "GBP", None),
    ("£", "GBP", None),
    ("Schweizer Franken", "CHF", "de"),
    ("Franken", "CHF", "de"),
    ("Swiss francs", "CHF", "en"),
    ("Swiss franc", "CHF", "en"),
    ("CHF", "CHF", None),
    ("Yuan", "CNY", None),
    ("Renminbi", "CNY", None),
    ("RMB", "CNY", None),
    ("CNY", "CNY", None),
    ("Yen", "JPY", None),
    ("JPY", "JPY", None),
    ("¥", "JPY", None),
    ("Won", "KRW", None),
    ("KRW", "KRW", None),
    ("Rupien", "INR", "de"),
    ("rupees", "INR", "en"),
    ("INR", "INR", None),
    ("Rubel", "RUB", "de"),
    ("roubles", "RUB", "en"),
    ("rubles", "RUB", "en"),
    ("RUB", "RUB", None),
    ("kanadische Dollar", "CAD", "de"),
    ("kanadischen Dollar", "CAD", "de"),
    ("Canadian dollars", "CAD", "en"),
    ("australische Dollar", "AUD", "de"),
    ("australischen Dollar", "AUD", "de"),
    ("Australian dollars", "AUD", "en"),
    ("Hongkong-Dollar", "HKD", "de"),
    ("Hong Kong dollars", "HKD", "en"),
    ("Singapur-Dollar", "SGD", "de"),
    ("Singapore dollars", "SGD", "en"),
    ("Taiwan-Dollar", "TWD", "de"),
    ("Taiwan dollars", "TWD", "en"),
)


def _number_words() -> tuple[tuple[str, Decimal, Lang], ...]:
    """German and English number words: units, teens, tens, "<unit>und<tens>", hundreds, halves."""
    de_units = {"ein": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9}
    de_single = {
        "eins": 1, "eine": 1, "einer": 1, "einem": 1, "zehn": 10, "elf": 11, "zwölf": 12,
        "dreizehn": 13, "vierzehn": 14, "fünfzehn": 15, "sechzehn": 16, "siebzehn": 17, "achtzehn": 18,
        "neunzehn": 19, "hundert": 100, "einhundert": 100, "tausend": 1000, "eintausend": 1000,
    }  # fmt: skip
    de_tens = {
        "zwanzig": 20, "dreißig": 30, "dreissig": 30, "vierzig": 40, "fünfzig": 50, "sechzig": 60,
        "siebzig": 70, "achtzig": 80, "neunzig": 90,
    }  # fmt: skip
    en_units = {
        "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    }  # fmt: skip
    en_single = {
        "a": 1, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
        "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "a hundred": 100,
    }  # fmt: skip
    en_tens = {
        "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
        "ninety": 90,
    }  # fmt: skip
    out: list[tuple[str, Decimal, Lang]] = []
    de: dict[str, Decimal] = {w: Decimal(v) for w, v in {**de_units, **de_single, **de_tens}.items()}
    for u, uv in de_units.items():
        for t, tv in de_tens.items():
            de[f"{u}und{t}"] = Decimal(uv + tv)
        if u != "ein":
            de[f"{u}hundert"] = Decimal(uv * 100)
            de[f"{u}einhalb"] = Decimal(uv) + Decimal("0.5")
    de |= {"eineinhalb": Decimal("1.5"), "anderthalb": Decimal("1.5")}
    de |= {"eine halbe": Decimal("0.5"), "einer halben": Decimal("0.5")}
    en: dict[str, Decimal] = {w: Decimal(v) for w, v in {**en_units, **en_single, **en_tens}.items()}
    for u, uv in en_units.items():
        for t, tv in en_tens.items():
            en[f"{t}-{u}"] = Decimal(uv + tv)
        en[f"{u} hundred"] = Decimal(uv * 100)
        en[f"{u} and a half"] = Decimal(uv) + Decimal("0.5")
    en["half a"] = Decimal("0.5")
    out += [(w, v, "de") for w, v in de.items()]
    out += [(w, v, "en") for w, v in en.items()]
    return tuple(out)


NUMBER_WORDS = _number_words()
# Articles stand for 1 only before a scale word ("eine Milliarde", "a billion dollars").
ARTICLE_WORDS = frozenset({"ein", "eine", "einer", "einem", "a"})

# --- regex --------------------------------------------------------------------------------------------

_SP = r"[ \u00a0\u202f]"  # a space, no-break space or narrow no-break space
_JOIN = r"(?:[ \u00a0\u202f]|-)"  # between parts; "-" for compounds like "30-Milliarden-Dollar-Ziels"
_NO_LETTER = r"(?![^\W\d_])"  # not followed by a letter (so "Milliardenkooperation" is no scale word)
_DIGITS = r"\d+(?:[.,]\d+|['’\u00a0\u202f]\d{3}(?!\d))*"


def _alt(forms: Iterable[str]) -> str:
    """A regex alternation of literal forms, longest first; a space in a form matches any run of spaces."""
    ordered = sorted(set(forms), key=len, reverse=True)
    return "|".join(f"{_SP}+".join(re.escape(part) for part in form.split(" ")) for form in ordered)


def _key(s: str) -> str:
    return " ".join(s.split()).lower()


_AMOUNT_RE = re.compile(
    rf"""
    (?<!\w)
    (?:(?P<qual>{_alt(q for q, _, _ in QUALIFIERS)}){_NO_LETTER}{_SP}+)?
    (?:(?P<pre>(?-i:{_alt(p for p, _, _ in PREFIX_CURRENCIES)})){_SP}?)?
    (?P<num>(?<![\d.,]){_DIGITS}|(?<![^\W\d_])(?:{_alt(w for w, _, _ in NUMBER_WORDS)}){_NO_LETTER})
    (?:
        (?<=\d)(?P<att>(?-i:[kmbKMB])){_NO_LETTER}
      | {_JOIN}?(?P<scale>{_alt(s for s, _, _ in SCALES)}){_NO_LETTER}
    )?
    (?:{_JOIN}?(?P<suf>{_alt(c for c, _, _ in SUFFIX_CURRENCIES)}){_NO_LETTER})?
    """,
    re.IGNORECASE | re.VERBOSE,
)

_QUALIFIER_BY_KEY: Mapping[str, tuple[Qualifier, Lang]] = MappingProxyType(
    {_key(q): (qual, lang) for q, qual, lang in QUALIFIERS}
)
_SCALE_BY_KEY: Mapping[str, tuple[int, Lang]] = MappingProxyType({_key(s): (f, lang) for s, f, lang in SCALES})
_PREFIX_BY_FORM: Mapping[str, tuple[str, Lang]] = MappingProxyType(
    {p: (iso, lang) for p, iso, lang in PREFIX_CURRENCIES}
)
_SUFFIX_BY_KEY: Mapping[str, tuple[str, Lang]] = MappingProxyType(
    {_key(c): (iso, lang) for c, iso, lang in SUFFIX_CURRENCIES}
)
_WORD_BY_KEY: Mapping[str, tuple[Decimal, Lang]] = MappingProxyType({_key(w): (v, lang) for w, v, lang in NUMBER_WORDS})



def _longest_part(form: str) -> str:
    return max(form.lower().split(" "), key=len)


# An amount counts only when it names a currency or has a scale of a million or more (see `_amount`), so it
# holds one of these lower-cased words; a text holding none has no amount and is not searched.
def _shortest_cover(words: set[str]) -> tuple[str, ...]:
    """The words that contain no other of the words: a text holds one of `words` iff it holds one of these."""
    return tuple(sorted(w for w in words if not any(o != w and o in w for o in words)))


_MONEY_HINTS: tuple[str, ...] = _shortest_cover({
    *(_longest_part(p) for p, _, _ in PREFIX_CURRENCIES),
    *(_longest_part(c) for c, _, _ in SUFFIX_CURRENCIES),
    *(_longest_part(s) for s, factor, _ in SCALES if factor >= 10**6),
})

# --- interpretation -----------------------------------------------------------------------------------


_GROUP_MARKS = re.compile(r"['’\u00a0\u202f]")
_YEAR = re.compile(r"(?:19|20)\d\d")


def _valid_groups(groups: list[str]) -> bool:
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def _digits_value(raw: str, lang: Lang) -> Decimal | None:
    """The value of a digit string. `lang` decides "1.250"/"1,250" (one separator, three digits after it):
    German reads "." as grouping and "," as decimal, English the other way round; without a language
    (no scale word) a lone separator before exactly three digits groups thousands ("1.250 Euro" = 1250)."""
    s = _GROUP_MARKS.sub("", raw)
    seps = [c for c in s if c in ".,"]
    if not seps:
        return Decimal(s)
    dec = seps[-1]
    if len(set(seps)) == 2:  # "1.250.000,50" or "1,250,000.50": the last separator is the decimal one
        if seps.count(dec) > 1:
            return None
        whole, frac = s.rsplit(dec, 1)
        groups = whole.split("," if dec == "." else ".")
        return Decimal(f"{''.join(groups)}.{frac}") if _valid_groups(groups) else None
    if len(seps) > 1:  # "1.250.000" or "1,250,000"
        groups = s.split(dec)
        return Decimal("".join(groups)) if _valid_groups(groups) else None
    head, tail = s.split(dec)
    if len(tail) != 3 or (lang == "de" and dec == ",") or (lang == "en" and dec == "."):
        return Decimal(f"{head}.{tail}")
    return Decimal(head + tail) if len(head) <= 3 else None


def _digits_lang(raw: str) -> Lang:
    """What the number's own format says: "12,5" is German, "3.5" English; "1.250" says nothing."""
    seps = [c for c in raw if c in ".,"]
    if len(seps) == 1 and len(raw.rsplit(seps[0], 1)[1]) != 3:
        return "de" if seps[0] == "," else "en"
    if len(seps) > 1 and len(set(seps)) == 1:
        return "de" if seps[0] == "." else "en"
    return None


def _context_lang(hints: Iterable[Lang]) -> Lang:
    """English only when something says English and nothing says German; the corpus default is German."""
    found = set(hints)
    return "en" if "en" in found and "de" not in found else "de"


def _scale(form: str, context: Iterable[Lang]) -> tuple[int, Lang]:
    """Factor and language of a scale word; a non-lowercase "Billion" is German (10^12) unless the rest
    of the amount is written the English way."""
    factor, lang = _SCALE_BY_KEY[_key(form)]
    if form == "billion":
        return 10**9, "en"
    if form == "million":
        return factor, "en"
    if _key(form) == "billion":
        return (10**9, "en") if _context_lang(context) == "en" else (10**12, "de")
    return factor, lang


def _to_number(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


def _amount(m: re.Match[str], passage_id: str) -> Amount | None:
    """The amount a regex match stands for, or None when the match is not a money amount after all."""
    qual, pre, num, att, scale_form, suf = m.group("qual", "pre", "num", "att", "scale", "suf")
    qualifier, qual_lang = _QUALIFIER_BY_KEY[_key(qual)] if qual else ("exact", None)
    currency, pre_lang = _PREFIX_BY_FORM[pre] if pre else (None, None)
    suf_lang: Lang = None
    if suf and not pre:
        currency, suf_lang = _SUFFIX_BY_KEY[_key(suf)]
    word = _WORD_BY_KEY.get(_key(num))
    word_lang = word[1] if word else None
    digits_lang = None if word else _digits_lang(num)
    context = (qual_lang, pre_lang, word_lang, digits_lang, suf_lang)

    if att:
        if currency is None:  # "5m" may be metres
            return None
        factor, scale_lang = ATTACHED_SCALES[att.lower()], "en"
    elif scale_form:
        if _key(scale_form) not in _SCALE_BY_KEY:
            return None  # matched only through Unicode case folding (`Mıllıarden`): not a scale we know
        factor, scale_lang = _scale(scale_form, context)
    else:
        factor, scale_lang = 1, None

    if currency is None and factor < 10**6:
        return None
    if word and _key(num) in ARTICLE_WORDS and (factor == 1 or (_key(num) == "a" and currency is None)):
        return None
    if word and _key(num) in ARTICLE_WORDS and scale_form and scale_form.lower().endswith("en"):
        return None  # "einem Milliarden-Deal": an article before a plural scale is no number
    if currency == "KRW" and factor == 1:  # "in 2019 won the award"
        return None
    if not word and not pre and factor > 1 and _YEAR.fullmatch(num):
        return None  # "bis 2030 Milliarden investieren": a year, not 2030 billion

    if word:
        base: Decimal | None = word[0]
    else:
        lang = (scale_lang or _context_lang(context)) if factor > 1 else None
        try:
            base = _digits_value(num, lang)
        except InvalidOperation:
            base = None
    if base is None:
        return None

    end = m.end("suf") if suf and not pre else m.end()
    if pre and suf:  # "$5 billion dollars" is rare; the prefix already names the currency
        end = m.end("scale") if scale_form else m.end("att") if att else m.end("num")
    return Amount(
        value=_to_number(base * factor),
        currency=currency,
        qualifier=qualifier,
        text=m.string[m.start() : end],
        passage_id=passage_id,
    )


# --- public API ---------------------------------------------------------------------------------------


def parse_amounts(text: str, passage_id: str = "") -> list[Amount]:
    """Every money amount in `text`, in order of appearance and non-overlapping."""
    out: list[Amount] = []
    if fold_safe(text):
        low = text.lower()
        if not any(hint in low for hint in _MONEY_HINTS):
            return out
    pos = 0
    while (m := _AMOUNT_RE.search(text, pos)) is not None:
        amount = _amount(m, passage_id)
        if amount is None:
            pos = m.start() + 1  # a rejected match may hide a real amount that starts inside it
            continue
        out.append(amount)
        pos = m.start() + len(amount.text)
    return out


def parse_amount(text: str) -> Amount | None:
    """The first money amount in `text`, or None."""
    found = parse_amounts(text)
    return found[0] if found else None
