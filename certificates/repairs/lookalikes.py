"""Look-alike sets: what OCR takes for what, defined once for every repair that mends it.

Imports nothing from the reader, so the text helpers (``thai_text``,
``fields``, ``spelling_check``, ``person_names``) can use these sets too.
"""

from __future__ import annotations

import re

# --- a Latin 1 read as something else ---------------------------------------------------

# A "1" with a flag or foot (K2D, Kanit, Chakra Petch, Prompt) read as a bracket,
# a bar or a Latin letter: "]8" for 18, "3]" for 31, "ทั้งสิ้น ] ชั่วโมง" for 1 hour.
ONE_LOOKALIKES = "][|lI!"
# A regex character class of :data:`ONE_LOOKALIKES`.
ONE_LOOKALIKE_CLASS = "[" + re.escape(ONE_LOOKALIKES) + "]"
# A thin 1 standing alone (a day set close to "วันที่") is read as any of
# those and, on its own, as a closing parenthesis too: "วันที่] ตุลาคม", "3)".
ONE_STROKES = frozenset(ONE_LOOKALIKES + ")")

# --- any digit read as a symbol ------------------------------------------------------------

# Symbols Tesseract makes of a digit it cannot read: a heavy 0 as "@", a
# flagged 1 as "]", a thin 1 as ")".  Against a digit, each is tried as every digit.
DIGIT_SYMBOLS = frozenset("@&$%#?!|[]{}()°©®§")

# --- brackets --------------------------------------------------------------------------------

# Some faces' "(" and ")" come back square or curly; the print (and the line
# network's alphabet) has round ones only.
AS_ROUND_BRACKETS = str.maketrans("[]{}", "()()")

# --- Latin digits a heavy face blurs ---------------------------------------------------------

# Mitr's 0 reads as 9 at every scale ("20" as "29").  Only this pair: with
# 5/6, 1/7, 6/8 as well the line network "mended" more right dates than wrong
# ones on the bench, and 3/5 broke more than it mended (the network takes
# Niramit's 3 for 5: "13" to "15").
DIGIT_LOOKALIKES = (("0", "9"),)

# --- Thai letters and marks ------------------------------------------------------------------

# Letters that Tesseract's Thai model takes for one another on some faces;
# each pair is tried both ways.  Some are a stroke lost: the circle of ำ
# (read า), the foot of ฐ (read ร), mai ek over ิ merging into ื.  Among them
# the tone-mark slips: mai ek for mai tho, mai tho read as mai han-akat ("พ้น"
# as the commoner "พัน"), mai chattawa over a consonant before sara aa where
# sara am's circle sits ("ก๋า" read "กำ").
LOOKALIKES = (
    ("ฐ", "ช"), ("ฐ", "ชุ"), ("ฐ", "ชู"), ("ธ", "ร"), ("ุ", "ู"), ("ิ", "ื"), ("ิ", "ี"), ("ี", "ื"),
    ("ด", "ต"), ("น", "พ"), ("พ", "ฟ"), ("บ", "ป"), ("ฎ", "ฏ"), ("ภ", "ถ"), ("ภ", "ก"), ("ผ", "ฝ"),
    ("ซ", "ช"), ("ข", "ช"), ("ท", "ห"), ("ค", "ด"), ("ร", "ว"), ("่", "้"), ("ั", "็"), ("ศ", "ค"),
    ("ล", "ส"), ("ม", "น"), ("ษ", "บ"), ("ฑ", "ท"), ("ำ", "า"), ("ื", "ิ่"), ("ฐ", "ร"),
    ("ณ", "ญ"), ("ณ", "ฌ"), ("ฤ", "ถ"), ("ท", "พ"),
    ("ั", "้"),
    ("ำ", "๋า"),
)
# In titles also ข/ย and ก/ถ ("ย้าราชการ", "ถารวางแผน"): there the word prior
# holds a wrong swap back, while in names (no dictionary) those pairs broke as
# many names on the bench as they mended.
TITLE_LOOKALIKES = LOOKALIKES + (("ข", "ย"), ("ก", "ถ"))
# Pairs that, tried on every name, broke as many names as they mended (ข/ย,
# ก/ถ, แ/น): tried only where the swap makes a name the lists vouch for.
# TLWG faces print ญ without its tail over ู, and both readers then see ญ
# alone ("ญนัยดี" for "ญูนัยดี"): a rare spelling, tried the same way.
VOUCHED_LOOKALIKES = (("ข", "ย"), ("ก", "ถ"), ("แ", "น"), ("ญ", "ญู"))
# Groups of letters the Thai model takes for one another in a short title, by
# shape: "นาง" read as "พาง", "ดร." as "ตร." or "ด5.".
TITLE_WORD_LOOKALIKES = ("นพหมฟผปบษ", "ดตค", "รธว5", "งจ", "ยขช")

# Mai ek, mai tho, mai tri, mai chattawa.
TONE_MARKS = frozenset("\u0e48\u0e49\u0e4a\u0e4b")
