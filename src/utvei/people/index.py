"""The name and birth-date search index: keyed hashes of normalised tokens, never the names themselves.

A person's name is stored encrypted (`Person.full_name`); to find "Henrik" without decrypting every person in the
country, each person also has rows of `PersonToken`: 64-bit keyed HMACs (the keyring's index key, one purpose
per kind) of

  n  each name token after normalisation and a phonetic key (`phonetic`), and each variant with one letter
     deleted (for tokens of four letters or more): a query token and a stored one that are one edit apart
     (a letter missing, added, changed or two swapped) share a variant (the "symmetric delete" method);
  s  the token's consonant skeleton (Mohammed, Muhammad -> mhmd), for vowels spelt differently;
  b  the date of birth.

Without the key a token says nothing: the HMAC cannot be reversed or tried against a list of names, and no part
of a name is stored in clear (tests read the SQLite file and a PostgreSQL dump for a canary name). What the index
does reveal to someone holding the database is that two persons share a token — as any exact-match index would.
Candidates the index finds are confirmed against the decrypted name (`name_matches`) before anyone sees them,
and only among the cases the searching user may see and whose identity they may read (cases.selectors).

Tokens are written with the person (`people.services`) and rebuilt from the encrypted names by
`utvei reindex-people` (after the index key changes, or for rows written before the index existed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable

from utvei.core.crypto import purpose_key

NAME, SKELETON, BIRTH = "n", "s", "b"
_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "aa", "ß": "ss", "þ": "th", "ð": "d", "ł": "l", "đ": "d"})
_RULES = (
    ("aa", "a"),
    ("ae", "e"),
    ("ph", "f"),
    ("th", "t"),
    ("ch", "k"),
    ("ck", "k"),
    ("ce", "se"),
    ("ci", "si"),
    ("c", "k"),
    ("q", "k"),
    ("x", "ks"),
    ("z", "s"),
    ("w", "v"),
    ("dt", "t"),
    ("hj", "j"),
    ("gj", "j"),
    ("y", "i"),
)
_VOWELS = set("aeiou")
MIN_DELETE = 4  # shorter tokens get no one-letter-less variants: "Ali" would match every "Al" and "Li"


def fold(text: str) -> list[str]:
    """Lower case, Norwegian letters spelt out, accents dropped, split into runs of letters."""
    text = text.lower().translate(_FOLD)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.findall(r"[a-z]+", text)


def phonetic(token: str) -> str:
    """A key that spellings of one sound share: Kristoffer/Christopher, Åse/Aase, Sofie/Sophie, Jan-Erik/Jan Eric."""
    for old, new in _RULES:
        token = token.replace(old, new)
    token = re.sub(r"(?<=[^aeiou])h|h$", "", token)  # silent h after a consonant or at the end
    return re.sub(r"(.)\1+", r"\1", token)  # double letters once


def skeleton(key: str) -> str:
    """The consonants of a phonetic key after its first letter."""
    return key[:1] + "".join(c for c in key[1:] if c not in _VOWELS)


def _deletes(key: str) -> set[str]:
    if len(key) < MIN_DELETE:
        return set()
    return {key[:i] + key[i + 1 :] for i in range(len(key))}


def _mac(kind: str, value: str) -> int:
    digest = hmac.new(purpose_key(f"people.search.{kind}"), value.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def name_keys(name: str) -> list[str]:
    return [k for k in (phonetic(t) for t in fold(name)) if k]


def _name_token_values(key: str) -> set[int]:
    return {_mac(NAME, v) for v in {key} | _deletes(key)}


def person_tokens(full_name: str, birth_date: dt.date | str | None) -> set[int]:
    """Every token a person is found by."""
    tokens: set[int] = set()
    for key in name_keys(full_name):
        tokens |= _name_token_values(key)
        if len(key) >= 3:
            tokens.add(_mac(SKELETON, skeleton(key)))
    born = _iso(birth_date)
    if born:
        tokens.add(_mac(BIRTH, born))
    return tokens


def _iso(value: dt.date | str | None) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value or ""


# ---- Queries -------------------------------------------------------------------------------------------


_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d%m%Y", "%d.%m.%y", "%d%m%y")


def parse_birth_date(word: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            found = dt.datetime.strptime(word, fmt).date()
        except ValueError:
            continue
        if fmt.endswith("%y") and found > dt.date.today():
            found = found.replace(year=found.year - 100)
        return found
    return None


def query_groups(words: Iterable[str]) -> list[set[int]]:
    """For each word of a query, the tokens a matching person has one of (a person must match every group)."""
    groups = []
    for word in words:
        born = parse_birth_date(word)
        if born is not None:
            groups.append({_mac(BIRTH, born.isoformat())})
            continue
        for key in name_keys(word):
            group = _name_token_values(key)
            if len(key) >= 3:
                group.add(_mac(SKELETON, skeleton(key)))
            groups.append(group)
    return groups


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein with adjacent swaps)."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _close(query: str, key: str) -> bool:
    if query == key:
        return True
    if len(query) >= MIN_DELETE and _distance(query, key) <= (1 if len(query) < 8 else 2):
        return True
    return len(query) >= 4 and skeleton(query) == skeleton(key) and abs(len(query) - len(key)) <= 2


def name_matches(words: Iterable[str], full_name: str, birth_date: str) -> bool:
    """Confirm a candidate the index found: every name word near one of the name's, every date the birth date."""
    keys = name_keys(full_name)
    for word in words:
        born = parse_birth_date(word)
        if born is not None:
            if born.isoformat() != birth_date:
                return False
            continue
        for query in name_keys(word):
            if not any(_close(query, key) for key in keys):
                return False
    return True
