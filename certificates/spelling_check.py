"""Choosing a line's spelling with the line network: among Tesseract's readings and look-alike letters.

Tesseract's Thai model misreads some letters of web faces in all its
readings alike (ฐ as ช, ธ as ร, ุ as ู), so no vote among them can mend
the name.  :mod:`certificates.line_recognizer` was trained on the faces
certificates use most and errs on faces it never saw, where alone it is no
better.  Together they do better: the network scores spellings (how likely
the line image is to show each one), and the candidates are the readings
Tesseract made, the voted reading with letters swapped for look-alikes and
the network's own reading (for titles, its Thai letters only).  A candidate
replaces the vote only when the network prefers it clearly, and Tesseract
keeps the word spacing.
In titles, made of ordinary words, a candidate must also read as words no
worse than the vote (see ``words`` in :func:`best_spelling`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

import numpy as np

from . import line_recognizer
from .consensus import respace, squash
from .repairs.lookalikes import LOOKALIKES, TONE_MARKS, VOUCHED_LOOKALIKES
from .thai_text import is_thai_letter


def _both_ways(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(pairs) + tuple((b, a) for a, b in pairs)


_SWAPS = _both_ways(LOOKALIKES)
# How much better (in nats) a spelling must score than Tesseract's vote to replace it.
MARGIN = 3.0
# How much more name-like (in name-cost word pieces) one stretch of the
# network's own letters must make a name before it is a candidate.  An earlier
# network, trained on none of the bench's faces, read worse than Tesseract
# (its letters, taken whenever they scored better, mended 7 of the bench's
# names and broke 7); a letter that both it and the name prior favoured mended
# 4 and broke none (at 2 pieces: 5 and 1).
NETWORK_EDIT_GAIN = 3.0
# How much likelier (in nats, name prior included) the network's whole reading
# of a name must be than the settled spelling to replace it.  On bench draws
# 2574 and 2575 it mended names by 5 to 45 nats; a TLWG name it broke was 3.8 nats ahead.
# Titles use the same margin; they also must read better as words, and on
# the title lines of draws 2576 and 2577 any margin from 0 to 5 nats mended
# the same 14 lines more and broke none.
NETWORK_READ_MARGIN = 5.0
# The margin a spelling the lists vouch for needs over an unvouched vote.  The
# name prior already favours it; on the bench's 142 unlisted names no margin
# from 0 to 3 nats broke one, and below 2 one more listed name was mended.
VOUCHED_MARGIN = 1.5
# Look-alike swaps tried on top of the best reading.  The network is right
# about one letter far more often than about several: on the bench's name
# crops a second and third swap mended nothing more and broke a name.
ROUNDS = 1
# Thai letters a title's spelling may lose against the vote: a Latin word the vote
# read as Thai junk ("810020ทลไท" for "Blockchain") loses about this many.
MAX_THAI_LETTERS_LOST = 4
# How alike (see :func:`similarity`) the network's own reading of a title must be
# to the vote for its likelihoods to judge the title's spelling: far below a
# reading a few letters off (each costs about 0.025 of a forty-letter title),
# and above the 0.43 of a photo's title it could not read at all.
NETWORK_READABLE = 0.6
# Costs of how a line reads as words (pieces, rarity...): lower reads more like words.
WordCosts = tuple[float, ...]


def lookalike_variants(text: str, swaps: Iterable[tuple[str, str]] | None = None) -> set[str]:
    """``text`` with one letter (or letter and mark) swapped for a look-alike, every way there is.

    A letter that occurs more than once is also swapped everywhere at once:
    a face Tesseract misreads, it misreads alike throughout the line
    ("ถารวางแผนถารควบคุม" for "การวางแผนการควบคุม").
    ``swaps`` are the pairs to try both ways (default: :data:`LOOKALIKES`).
    """
    out = set()
    for a, b in _SWAPS if swaps is None else _both_ways(swaps):
        i = text.find(a)
        while i >= 0:
            out.add(text[:i] + b + text[i + len(a):])
            i = text.find(a, i + 1)
        if text.count(a) > 1:
            out.add(text.replace(a, b))
    return out


def adds_tone_mark_only(text: str, variant: str, *, changed: bool = True) -> bool:
    """True when ``variant`` differs from ``text`` only by tone marks added or changed, none dropped.

    Tone marks are small and sit high: Tesseract loses them ("เปียม" for
    "เปี่ยม") or takes one for another ("อ๋ำ" for "อ่ำ") where the line
    network sees them, so the network's marks are candidates even when the
    name prior has no opinion.  A mark the network does not see is kept:
    dropping marks that way broke a name on the bench ("ช่วย" to "ชวย").
    Without ``changed``, only added marks count.
    """
    a, b = squash(text), squash(variant)
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    allowed = ("insert", "replace") if changed else ("insert",)
    return a != b and all(
        tag == "equal" or (tag in allowed and set(a[i1:i2] + b[j1:j2]) <= TONE_MARKS)
        for tag, i1, i2, j1, j2 in ops
    )


def network_edits(text: str, network_read: str) -> list[str]:
    """One variant of ``text`` per stretch where ``network_read`` differs: that stretch in the network's letters.

    Spaces are kept as in ``text``; ``network_read`` has none.
    """
    plain = squash(text)
    matcher = difflib.SequenceMatcher(None, plain, network_read, autojunk=False)
    return [
        respace(plain[:i1] + network_read[j1:j2] + plain[i2:], text)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def _thai_letter_stretches(text: str, network_read: str) -> list[tuple[int, int, str]]:
    """Where ``network_read`` differs from ``text`` (spaces dropped) in Thai letters alone: (start, end, its letters)."""
    plain = squash(text)
    matcher = difflib.SequenceMatcher(None, plain, network_read, autojunk=False)
    return [
        (i1, i2, network_read[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal" and all(is_thai_letter(c) for c in plain[i1:i2] + network_read[j1:j2])
    ]


def thai_letter_edits(text: str, network_read: str) -> str:
    """``text`` with every stretch where ``network_read`` differs in Thai letters alone taken from it.

    Punctuation, digits and Latin stay as in ``text``: the network reads a
    colon as "1" and drops a slash.  Spaces are kept as in ``text``.
    """
    plain = squash(text)
    for i1, i2, theirs in reversed(_thai_letter_stretches(text, network_read)):
        plain = plain[:i1] + theirs + plain[i2:]
    return respace(plain, text)


def thai_letter_stretches(text: str, network_read: str) -> list[str]:
    """One variant of ``text`` per stretch of :func:`thai_letter_edits`: that stretch alone taken from ``network_read``."""
    plain = squash(text)
    return [respace(plain[:i1] + theirs + plain[i2:], text) for i1, i2, theirs in _thai_letter_stretches(text, network_read)]


def similarity(a: str, b: str) -> float:
    """How alike two readings are, spaces ignored (0 to 1, difflib's ratio)."""
    return difflib.SequenceMatcher(None, squash(a), squash(b), autojunk=False).ratio()


def _reads_better(costs: WordCosts, than: WordCosts) -> bool:
    """No cost higher and one lower."""
    return all(a <= b for a, b in zip(costs, than)) and any(a < b for a, b in zip(costs, than))


def _thai_letters(text: str) -> int:
    return sum(map(is_thai_letter, text))


def _tone_marks(text: str) -> int:
    return sum(c in TONE_MARKS for c in text)


def likelihood(views: list[np.ndarray], text: str, *, wildcards: bool = False) -> float:
    """Mean log-likelihood of ``text`` (spaces ignored) over the network's views of a line.

    -inf if the network cannot spell it; with ``wildcards``, each word it
    cannot spell stands for whatever print is there instead
    (:func:`certificates.line_recognizer.encode_with_wildcards`).
    """
    labels = line_recognizer.encode_with_wildcards(text) if wildcards else line_recognizer.encode(squash(text))
    if labels is None or not views:
        return float("-inf")
    return sum(line_recognizer.ctc_log_likelihood(v, labels) for v in views) / len(views)


def best_spelling(
    crop: np.ndarray,
    voted: str,
    readings: Iterable[str],
    *,
    prior: Callable[[str], float] | None = None,
    weight: float = 0.0,
    swaps: Iterable[tuple[str, str]] | None = None,
    repairs: Callable[[str], Iterable[str]] | None = None,
    network_letters: bool = False,
    vouched: Callable[[str], bool] | None = None,
    margin: float = MARGIN,
    words: Callable[[str], WordCosts] | None = None,
) -> str:
    """The spelling of the line in ``crop`` the network finds clearly likelier than ``voted``, else ``voted``.

    Candidates are ``readings`` (spaced like ``voted``) and, from the best
    of them, look-alike swaps of up to :data:`ROUNDS` letters.  With
    ``network_letters`` (and a ``prior``: names) each stretch where the
    network's own best reading differs is tried in the best spelling alone,
    when that lowers the prior by :data:`NETWORK_EDIT_GAIN` (two witnesses,
    the image and the name, agree), and the whole reading, or then one
    stretch of it, replaces the settled spelling when likelier by
    :data:`NETWORK_READ_MARGIN`, unless that turns a listed name into an
    unlisted one.  Each of these must also be at least as likely to the
    network alone as the vote: the prior may not carry them in by itself.
    With a ``prior``, a stretch that only adds or changes tone marks is
    tried regardless (see :func:`adds_tone_mark_only`).
    ``prior`` (a cost, lower likelier, such as the name cost) may be weighed
    in by ``weight``; ``swaps`` replaces the Thai look-alikes (digits, say).
    ``repairs`` gives further candidates from the best spelling once the
    swaps are done (one-letter word repairs of a title, say): repairing the
    readings before the swaps, or both before and after, mended fewer of the
    bench's titles and broke one.
    ``vouched`` tells a spelling an outside list vouches for (a listed
    name): look-alikes of :data:`VOUCHED_LOOKALIKES` are candidates only
    where they make one, and one beats an unvouched vote by
    :data:`VOUCHED_MARGIN` instead of ``margin`` (:data:`MARGIN`).
    Where the network reads just what Tesseract voted, only a spelling the
    lists vouch for, one look-alike away, may still win, by ``margin``; of
    a title, a look-alike or word repair that reads better as words
    ("ยุคติจิทัล", read alike by both).  A title the network cannot read
    (see :data:`NETWORK_READABLE`) keeps its vote.
    ``words`` (titles) gives costs of how a spelling reads as words, such
    as pieces and rarity.  The spelling chosen may cost no more than the
    vote in any, and must cost less in one where it drops a tone mark
    ("ที่" to "ที" makes words too): on blurred print and faces it never
    saw, the network prefers look-alikes that make rarer words ("ของ" to
    "ยอง", "ทีม" to "ทีน"), which the prior's weight did not hold back (on
    the title lines of draws 2576 and 2577 this kept all 30 mends and
    stopped all 21 breaks).  Before that, the network's own reading, in Thai
    letters only (see :func:`thai_letter_edits`), is weighed against the
    settled spelling: it must read better as words and be likelier by
    :data:`NETWORK_READ_MARGIN`.
    Without the trained model installed, ``voted`` stands.
    """
    if not voted:
        return voted
    readings = list(readings)
    # Scored on two views of the line, read on the first (see log_probs_views).
    views = line_recognizer.log_probs_views(crop)
    if not views:
        return voted
    lp = views[0]
    network_read = line_recognizer.greedy(lp)
    if words is not None and similarity(network_read, voted) < NETWORK_READABLE:
        # The network cannot read this title at all ("รลกาเนาทกงกซยัน…" for
        # "วิชา แนวทางการผู้นำ…" on a photo): its likelihoods judge nothing, and
        # the letter it then happened to prefer made "พี่มี" of "ที่มี".
        return voted
    floor = words(voted) if words is not None else ()
    marks, letters = _tone_marks(voted), _thai_letters(voted)

    def fits(text: str) -> bool:
        """Reads as words no worse than the vote; better, where it drops a tone mark; keeps the vote's Thai.

        A word the network cannot spell is a wildcard, and print that is not
        Thai costs little as words, so a reading that put "-9" where
        "ค่าตอบแทน สวัสดิการ" is printed scored best.
        """
        if _thai_letters(text) < letters - MAX_THAI_LETTERS_LOST:
            return False
        costs = words(text)
        if any(a > b for a, b in zip(costs, floor)):
            return False
        return _tone_marks(text) >= marks or any(a < b for a, b in zip(costs, floor))

    seen: dict[str, float] = {}  # the network's likelihood alone, without the prior

    def score(text: str) -> float:
        # A title's Latin words ("(Advanced)") must not leave its Thai letters unchecked.
        value = seen[text] = likelihood(views, text, wildcards=words is not None)
        return value - weight * prior(text) if prior is not None and weight else value

    def network_agrees(text: str) -> bool:
        """The network finds the spelling made of its own letters at least as likely as the vote.

        Its letters are read greedily on one view; over both views it can
        still prefer the vote, and the prior alone must not then carry its
        letters in: it dropped the vowel all nine readings of "ยอดวุธ" had
        on a bench photo, since a name off the lists costs less with fewer
        letters outside dictionary words.
        """
        if text not in seen:
            score(text)
        return seen[text] >= seen[voted]

    if network_read == squash(voted):
        # The network reads what Tesseract voted: only a listed name one
        # look-alike away may still replace an unlisted vote, and by the full
        # margin ("ชื่อสัตย์" read alike by both for the family name "ซื่อสัตย์");
        # of a title, only a look-alike or word repair that reads better as
        # words ("ยุคติจิทัล", read alike by both for "ยุคดิจิทัล").  Scoring
        # every look-alike of a title read right cost a third of a second.
        if words is None and (vouched is None or vouched(voted)):
            return voted
        scored = {voted: score(voted)}
        if words is not None:
            variants = lookalike_variants(voted, swaps) | set(repairs(voted) if repairs is not None else ())
            for variant in variants:
                if _reads_better(words(variant), floor) and fits(variant):
                    scored[variant] = score(variant)
        elif vouched is not None:
            for variant in lookalike_variants(voted, LOOKALIKES + VOUCHED_LOOKALIKES):
                if vouched(variant):
                    scored[variant] = score(variant)
        best = max(scored, key=scored.__getitem__)
        return best if scored[best] > scored[voted] + margin else voted

    scored = {voted: score(voted)}
    for alt in readings:
        if alt:
            spaced = respace(alt, voted)
            scored.setdefault(spaced, score(spaced))
    current = max(scored, key=scored.__getitem__)
    for _ in range(ROUNDS):
        variants = lookalike_variants(current, swaps)
        if prior is not None:  # names and titles, not numbers
            edits = network_edits(current, network_read)
            variants |= {v for v in edits if adds_tone_mark_only(current, v)}
            if network_letters:
                bar = prior(current) - NETWORK_EDIT_GAIN
                variants |= {v for v in edits if prior(v) <= bar and network_agrees(v)}
        if vouched is not None:
            variants |= {v for v in lookalike_variants(current, VOUCHED_LOOKALIKES) if vouched(v)}
        for variant in variants:
            if variant not in scored:
                scored[variant] = score(variant)
        best = max(scored, key=scored.__getitem__)
        if best == current:
            break
        current = best

    def unlists(before: str, after: str) -> bool:
        """Whether ``after`` unmakes the listed name ``before`` is."""
        return vouched is not None and vouched(before) and not vouched(after)

    def listed_swap(spelling: str) -> str:
        """One more swap, only where it makes a listed name.

        The network's own letters may mend one letter ("นายรนาวุฒิ") and
        leave a look-alike for a second (ร for ธ).  Unrestricted, a second
        round broke three names on the bench for one mended; restricted, it
        mended one and broke none.  The same goes for the network's whole
        reading below.
        """
        if vouched is None or vouched(spelling):
            return spelling
        for variant in lookalike_variants(spelling, swaps):
            if variant not in scored and vouched(variant):
                scored[variant] = score(variant)
        return max(scored, key=scored.__getitem__)

    current = listed_swap(current)
    if words is not None:
        # Not kept among the scored unless taken: the repairs below choose by score alone.
        read = thai_letter_edits(current, network_read)
        read_score = scored[read] if read in scored else score(read)
        if read_score > scored[current] + NETWORK_READ_MARGIN and _reads_better(words(read), words(current)):
            scored[read] = read_score
            current = read
            # Its letters may hold a look-alike it took where Tesseract did not
            # ("ภาร" for "การ", itself a word, so no repair looks at it).
            for variant in lookalike_variants(current, swaps):
                scored.setdefault(variant, score(variant))
            current = max(scored, key=scored.__getitem__)
        # One stretch of that reading, on the same terms: where the network
        # also misreads a letter elsewhere ("สรรด์" for "สรรค์"), its whole
        # reading reads no better as words and cannot mend "สวร้าง".
        stretches = {v: scored.get(v, score(v)) for v in thai_letter_stretches(current, network_read)}
        bar = scored[current] + NETWORK_READ_MARGIN
        won = [v for v, s in stretches.items() if s > bar and _reads_better(words(v), words(current))]
        if won:
            current = max(won, key=stretches.__getitem__)
            scored[current] = stretches[current]
    if network_letters and prior is not None:
        # A mark the network sees and the settled spelling lacks ("พ.ส.…จีนอำ":
        # พ/น swapped first, then the mark).  Only added, and only in names: on
        # titles, added after a swap it made words of other words ("ทำ" to "ท่า").
        for variant in network_edits(current, network_read):
            if adds_tone_mark_only(current, variant, changed=False):
                scored.setdefault(variant, score(variant))
        current = max(scored, key=scored.__getitem__)
        # The network's whole reading against the settled spelling.  Trained
        # on the faces certificates use, it reads letters every Tesseract
        # reading lost alike ("กะดะ" read "ถะดะ", "ปัด" read "ป๊ด"); on
        # faces it never saw it errs, so it must
        # win clearly, and look-alike swaps are tried on top of it only where
        # they make a listed name (Taviraj's ท read ห by both: "หองรอด").
        # It does not unmake a name the lists vouch for: on Sawasdee it read
        # "เลน" where every reading gave the listed "แสน", 8 nats likelier.
        # It is spaced as each reading spaced the line, the prior choosing (the
        # vote's spacing first on ties): spaced like the vote alone, "ดร.นิกร
        # บุ๋มงัว" made "นิกรนุ่ม บัว" of "นิกร นุ่มบัว".
        spacings = list(dict.fromkeys(respace(network_read, r) for r in [voted, *readings] if r))
        for read in spacings:
            scored.setdefault(read, score(read))
        read = max(spacings, key=scored.__getitem__)
        if scored[read] > scored[current] + NETWORK_READ_MARGIN and not unlists(current, read) and network_agrees(read):
            current = listed_swap(read)
        # One stretch of that reading, on the same terms: where the network
        # misreads elsewhere in the line ("ศริ" for "ศรี"), its whole reading
        # cannot win, and a letter every reading added ("ธรฐิติ") stays.
        stretches = {v: scored.get(v, score(v)) for v in network_edits(current, network_read)}
        bar = scored[current] + NETWORK_READ_MARGIN
        won = [v for v, s in stretches.items() if s > bar and not unlists(current, v) and network_agrees(v)]
        if won:
            current = max(won, key=stretches.__getitem__)
            scored[current] = stretches[current]
    if repairs is not None:
        for variant in repairs(current):
            scored.setdefault(variant, score(variant))
        current = max(scored, key=scored.__getitem__)
    if words is not None:
        # Checked last: a misread the vote spells as Latin junk ("sun" for "รุ่นที่")
        # is mended in two steps, by another reading ("รู่นที่") and then a swap.
        current = max((t for t in scored if fits(t)), key=scored.__getitem__)
    if vouched is not None and vouched(current) and not vouched(voted):
        margin = min(margin, VOUCHED_MARGIN)
    return current if scored[current] > scored[voted] + margin else voted
