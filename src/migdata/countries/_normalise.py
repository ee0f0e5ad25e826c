"""Normalisation of country names to lookup keys.

One function, :func:`normalise`, turns any spelling into the key under which the resolver's
index stores names: the same key for "Congo, Democratic Republic of the" and
"Democratic Republic of the Congo", for "Côte d'Ivoire" and "COTE D IVOIRE".
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalise"]

# Letters that NFKD does not fold but that spellings vary on. Arabic: alef wasla, alef
# maqsura (written for final ya), ta marbuta (often typed as ha), Persian/Urdu letters that
# Arabic keyboards produce for ya and kaf. Latin: letters without a decomposition.
_FOLD = str.maketrans(
    {
        "\u0671": "\u0627",  # alef wasla -> alef
        "\u0649": "\u064a",  # alef maqsura -> ya
        "\u0629": "\u0647",  # ta marbuta -> ha
        "\u06cc": "\u064a",  # farsi ya -> ya
        "\u06a9": "\u0643",  # keheh -> kaf
        "\u0640": "",  # tatweel (kashida) is decoration only
        "ø": "o",
        "đ": "d",
        "ł": "l",
        "æ": "ae",
        "œ": "oe",
        "ı": "i",
        "&": " and ",
    }
)

# Articles and linking words dropped wherever they stand, so that word order and the
# presence of "the"/"of" do not matter: English, French, Portuguese, Spanish ("del", "los",
# "las", "y"), Italian ("di", "della", ...), and the Arabic article in Latin transcription
# ("al-"). The Arabic-script article is handled as a prefix below.
_STOPWORDS = frozenset(
    [
        "the",
        "of",
        "and",
        "le",
        "la",
        "les",
        "l",
        "de",
        "du",
        "des",
        "d",
        "et",
        "o",
        "a",
        "os",
        "as",
        "da",
        "do",
        "das",
        "dos",
        "e",
        "al",
        "el",
        "del",
        "los",
        "las",
        "y",
        "di",
        "della",
        "delle",
        "dello",
        "dei",
        "degli",
    ]
)

# Abbreviations common in World Bank / UN tables ("Congo, Dem. Rep.", "St. Lucia"), and the
# same title words in French, Portuguese and Spanish folded to one word, so that "Rép. Dém.
# du Congo", "République démocratique du Congo" and "Congo, Dem. Rep." meet. Country words
# are never folded here: only the titles around them.
_EXPAND = {
    "st": "saint",
    "ste": "sainte",
    "rep": "republic",
    "republique": "republic",
    "republica": "republic",
    "repubblica": "republic",
    "republik": "republic",
    "dem": "democratic",
    "democratique": "democratic",
    "democratica": "democratic",
    "demokratische": "democratic",
    "pop": "populaire",
    "equat": "equatoriale",
    "fed": "federal",
    "federale": "federal",
    "federation": "federal",
    "federacion": "federal",
    "federacao": "federal",
    "is": "islands",
    "isl": "islands",
    "iles": "islands",
    "ilhas": "islands",
    "islas": "islands",
    "ile": "island",
    "ilha": "island",
    "isla": "island",
}

_ARTICLE_AR = "\u0627\u0644"  # "ال"


def _is_diacritic(ch: str) -> bool:
    # Accents on Latin, Greek and Cyrillic letters and the vowel marks of Hebrew and Arabic
    # are decoration that spellings drop; the vowel signs of Indic, South-East Asian and
    # other scripts (Devanagari "टोगो" Togo vs "टोंगा" Tonga) are letters of the name and
    # stay, as do Japanese voicing marks. So only marks below U+0780 and the generic
    # combining-diacritics blocks are dropped.
    point = ord(ch)
    return unicodedata.combining(ch) != 0 and (
        point < 0x0780
        or 0x08D3 <= point <= 0x08FF
        or 0x1AB0 <= point <= 0x1AFF
        or 0x1DC0 <= point <= 0x1DFF
        or 0x20D0 <= point <= 0x20FF
        or 0xFE20 <= point <= 0xFE2F
    )


def _words(text: str) -> list[str]:
    # After NFKD, accents and Arabic vowel marks are combining marks: drop them. Hamza
    # carriers (أ إ آ ؤ ئ) decompose to a base letter plus a combining hamza/madda, so they
    # fold to their base letter the same way. Letters, digits and the marks that are kept
    # make words; everything else (punctuation, symbols, spaces) separates them.
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    kept = []
    for ch in decomposed:
        if ch.isalnum():
            kept.append(ch)
        elif unicodedata.category(ch)[0] == "M":
            if not _is_diacritic(ch):
                kept.append(ch)
        else:
            kept.append(" ")
    folded = unicodedata.normalize("NFKC", "".join(kept)).casefold().translate(_FOLD)
    return folded.split()


_DOTTED = re.compile(r"\s*(?:\w\.\s*){2,}")
_TRAILING_PAREN = re.compile(r"(.*?\S)\s*\(([^()]*)\)\s*")


def _invert(text: str) -> str:
    # "Congo, Democratic Republic of the" -> "Democratic Republic of the Congo": the ISO
    # list style puts the qualifier after a comma (Latin comma or Arabic comma), the UN M49
    # style in a trailing parenthesis ("Bolivia (Plurinational State of)"); both are read
    # as "qualifier name" so that the two styles meet.
    paren = _TRAILING_PAREN.fullmatch(text)
    if paren and paren.group(2).strip():
        text = f"{paren.group(2)} {paren.group(1)}"
    parts = re.split(r"[,\u060c]", text, maxsplit=1)
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        return f"{parts[1]} {parts[0]}"
    return text


def _strip_article_ar(word: str) -> str:
    while word.startswith(_ARTICLE_AR) and len(word) > len(_ARTICLE_AR):
        word = word[len(_ARTICLE_AR) :]
    return "" if word == _ARTICLE_AR else word


def _once(text: str) -> str:
    words: list[str] = []
    for word in _words(_invert(text)):
        word = _EXPAND.get(word, word)
        if word in _STOPWORDS:
            continue
        word = _strip_article_ar(word)
        if word:
            words.append(word)
    return " ".join(words)


def normalise(text: str) -> str:
    """Normalise a country name to its lookup key.

    Case, accents, punctuation, Arabic diacritics, tatweel and letter variants (alef, ya,
    ta marbuta), the ISO comma word order ("Congo, Democratic Republic of the"), articles
    and linking words in English, French, Portuguese and Arabic, and common abbreviations
    ("St.", "Rep.", "Dem.") are all folded away. The result is idempotent:
    ``normalise(normalise(x)) == normalise(x)``.

    Parameters
    ----------
    text
        A country name as typed.

    Returns
    -------
    str
        Lower-case words separated by single spaces ("" when nothing is left).

    Examples
    --------
    >>> normalise("Congo, Democratic Republic of the")
    'democratic republic congo'
    >>> normalise("Democratic Republic of the Congo")
    'democratic republic congo'
    >>> normalise("Bolivia (Plurinational State of)")
    'plurinational state bolivia'
    >>> normalise("Bolivia, Plurinational State of")
    'plurinational state bolivia'
    >>> normalise("  CÔTE d'IVOIRE ") == normalise("Cote d Ivoire")
    True
    >>> normalise("السُّودان") == normalise("السودان")
    True
    """
    # The steps can expose new foldable material (e.g. an expansion or a comma revealed by
    # compatibility decomposition), so apply them until nothing changes; two or three
    # rounds at most in practice.
    current = str(text)
    if _DOTTED.fullmatch(current):
        # "R.D.C.", "E.A.U.": an acronym with points is the acronym ("RDC"), not letters
        # that the article and stopword rules would drop one by one.
        current = re.sub(r"[.\s]", "", current)
    for _ in range(5):
        following = _once(current)
        if following == current:
            break
        current = following
    return current
