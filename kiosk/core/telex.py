"""Vietnamese input for the on-screen keyboard: Telex composition and direct tone keys.

Qt-free. The keyboard works on the *composed* word before the cursor, so there is no hidden
key buffer to get out of step with the field: :func:`apply_key` takes the word as the field shows
it plus one key and returns the new word. Tone marks are placed by the modern rules (the tone
goes on the main vowel: "hoà", "thuý", "người", "Nguyễn").

Telex: ``s f r x j`` = sắc huyền hỏi ngã nặng, ``z`` removes the tone; ``aa ee oo`` = â ê ô,
``aw ow uw`` = ă ơ ư, ``uow`` = ươ, ``w`` alone = ư, ``dd`` = đ. Repeating a key undoes it and types
the letter ("ass" -> "as", "aaa" -> "aa").
"""

from __future__ import annotations

import unicodedata

TONES = ("", "s", "f", "r", "x", "j")
#: Combining marks of the five tones, in the order of TONES[1:].
_TONE_MARKS = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323"}
_MARK_TO_TONE = {m: t for t, m in _TONE_MARKS.items()}
_BASE_VOWELS = "aăâeêioôơuưy"
_CIRCUMFLEX = {"a": "â", "e": "ê", "o": "ô"}
_HORN = {"a": "ă", "o": "ơ", "u": "ư"}
_VALID_FINALS = ("", "c", "ch", "m", "n", "ng", "nh", "p", "t")


def split_vowel(ch: str) -> tuple[str, str] | None:
    """A vowel -> (base vowel with its shape mark, tone key); None for anything else.

    ``"ễ"`` -> ``("ê", "x")``; the base keeps the character's case.
    """
    decomposed = unicodedata.normalize("NFD", ch)
    tone = ""
    rest = []
    for c in decomposed:
        if c in _MARK_TO_TONE:
            tone = _MARK_TO_TONE[c]
        else:
            rest.append(c)
    base = unicodedata.normalize("NFC", "".join(rest))
    if len(base) != 1 or base.lower() not in _BASE_VOWELS:
        return None
    return base, tone


def join_vowel(base: str, tone: str) -> str:
    if not tone:
        return base
    return unicodedata.normalize("NFC", base + _TONE_MARKS[tone])


def _is_vowel(ch: str) -> bool:
    return split_vowel(ch) is not None


def _with_case(template: str, ch: str) -> str:
    return ch.upper() if template.isupper() else ch


def _vowel_span(word: str) -> tuple[int, int] | None:
    """Start and end (exclusive) of the syllable's vowel cluster, skipping the consonantal u of "qu"
    and i of "gi" (so "quý" and "giá" put the tone on the right letter)."""
    end = len(word)
    while end > 0 and not _is_vowel(word[end - 1]):
        end -= 1
    if end == 0:
        return None
    start = end
    while start > 0 and _is_vowel(word[start - 1]):
        start -= 1
    lowered = word.lower()
    if end - start > 1 and start > 0:
        first = split_vowel(word[start])[0].lower()  # type: ignore[index]
        if (first == "u" and lowered[start - 1] == "q") or (first == "i" and lowered[start - 1] == "g"):
            start += 1
    return start, end


def _tone_position(word: str, span: tuple[int, int]) -> int:
    start, end = span
    bases = [split_vowel(c)[0].lower() for c in word[start:end]]  # type: ignore[index]
    # A shaped vowel takes the tone; in "ươ" the second one.
    shaped = [i for i, b in enumerate(bases) if b in "ăâêôơư"]
    if shaped:
        return start + shaped[-1]
    if len(bases) == 1:
        return start
    has_final = end < len(word)
    if has_final:
        return end - 1
    if len(bases) >= 3:
        return start + 1
    if "".join(bases) in ("oa", "oe", "uy"):  # modern rule: hoà, hoè, thuỷ
        return start + 1
    return start


def word_tone(word: str) -> str:
    for ch in word:
        parts = split_vowel(ch)
        if parts and parts[1]:
            return parts[1]
    return ""


def set_tone(word: str, tone: str) -> str:
    """The word with its tone replaced (``""`` removes it), placed on the right vowel."""
    stripped = "".join(split_vowel(c)[0] if _is_vowel(c) else c for c in word)  # type: ignore[index]
    if not tone:
        return stripped
    span = _vowel_span(stripped)
    if span is None:
        return stripped
    pos = _tone_position(stripped, span)
    return stripped[:pos] + join_vowel(stripped[pos], tone) + stripped[pos + 1:]


def _final_ok(word: str) -> bool:
    span = _vowel_span(word)
    return span is not None and word[span[1]:].lower() in _VALID_FINALS


def _reshape(word: str, key: str) -> str | None:
    """Apply a shape key (a/e/o for the circumflex, w for the horn/breve); None if it does not apply."""
    span = _vowel_span(word)
    if span is None:
        return None
    start, end = span
    tone = word_tone(word)
    plain = set_tone(word, "")
    cluster = [split_vowel(c)[0] for c in plain[start:end]]  # type: ignore[index]
    lower = [c.lower() for c in cluster]
    k = key.lower()
    if k in _CIRCUMFLEX:
        target = _CIRCUMFLEX[k]
        for i in range(len(lower) - 1, -1, -1):
            if lower[i] == target:  # "aaa": undo and type the letter
                cluster[i] = _with_case(cluster[i], k)
                return set_tone(plain[:start] + "".join(cluster) + plain[end:], tone) + key
            if lower[i] in (k, _HORN.get(k, "")):
                cluster[i] = _with_case(cluster[i], target)
                return set_tone(plain[:start] + "".join(cluster) + plain[end:], tone)
        return None
    # w
    joined = "".join(lower)
    if "ươ" in joined:
        i = joined.index("ươ")
        cluster[i] = _with_case(cluster[i], "u")
        cluster[i + 1] = _with_case(cluster[i + 1], "o")
        return set_tone(plain[:start] + "".join(cluster) + plain[end:], tone) + key
    for pair in ("uo", "ưo", "uơ"):
        if pair in joined:
            i = joined.index(pair)
            cluster[i] = _with_case(cluster[i], "ư")
            cluster[i + 1] = _with_case(cluster[i + 1], "ơ")
            return set_tone(plain[:start] + "".join(cluster) + plain[end:], tone)
    for i in range(len(lower) - 1, -1, -1):
        if lower[i] in "ăơư":
            cluster[i] = _with_case(cluster[i], {"ă": "a", "ơ": "o", "ư": "u"}[lower[i]])
            return set_tone(plain[:start] + "".join(cluster) + plain[end:], tone) + key
        if lower[i] in _HORN:
            cluster[i] = _with_case(cluster[i], _HORN[lower[i]])
            return set_tone(plain[:start] + "".join(cluster) + plain[end:], tone)
    return None


def apply_key(word: str, key: str) -> str:
    """The composed word after one more Telex key."""
    if len(key) != 1:
        return word + key
    k = key.lower()
    if k in "sfrxj" and _final_ok(word):
        if word_tone(word) == k:  # "ass" -> "as": undo the tone and type the letter
            return set_tone(word, "") + key
        return set_tone(word, k)
    if k == "z" and word_tone(word):
        return set_tone(word, "")
    if k == "d" and word:
        if word[-1] in "dD" and not any(c in "đĐ" for c in word):
            return word[:-1] + ("Đ" if word[-1] == "D" else "đ")
        if word[-1] in "đĐ":
            return word[:-1] + ("D" if word[-1] == "Đ" else "d") + key
    if k in "aeow" and word and _final_ok(word):
        reshaped = _reshape(word, key)
        if reshaped is not None:
            return reshaped
    if k == "w" and _vowel_span(word) is None:
        return word + _with_case(key, "ư")
    return word + key


def compose(keys: str) -> str:
    """Type a whole key sequence: ``compose("Nguyeenx") == "Nguyễn"``; spaces separate words."""
    out: list[str] = []
    word = ""
    for key in keys:
        if key.isalpha():
            word = apply_key(word, key)
        else:
            out.append(word + key)
            word = ""
    return "".join(out) + word


def apply_tone_key(word: str, tone: str) -> str:
    """A direct tone key (the keyboard's ´ ` ̉ ˜ ̣ buttons): press again to remove the tone."""
    if _vowel_span(word) is None:
        return word
    return set_tone(word, "" if word_tone(word) == tone else tone)
