"""Catalog courses to suggest to someone below target, decided for everyone at once.

A suggestion prefers an OCSC category the person has no course in yet, digital skills
first (the agency's indicators count the share of staff developed in them), and never
names a course the person already sent a certificate for, in any year, or one already
agreed with their supervisor (the reminder lists those). Within a category the pick
turns with the person's id, so a team is not all sent to the same course.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storage.models import Course, Submission

# The portal's categories, most wanted first (docs/DOMAIN.md; the agency indicator counts digital skills).
PREFERRED_CATEGORIES = (
    "ทักษะดิจิทัล",
    "การพัฒนากรอบความคิด",
    "ทักษะเชิงยุทธศาสตร์และภาวะผู้นำ",
    "การพัฒนาองค์ความรู้",
    "ทักษะด้านภาษา",
)
# A certificate in any of these states means the person has (or soon has) the course.
HELD_STATES = ("received", "read", "confirmed", "approved")
MOST = 3


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One catalog course to suggest."""

    course_id: int
    code: str
    name: str
    category: str


class CourseSuggester:
    """Suggestions for many people from one catalog read and one query of the courses they hold."""

    def __init__(self, catalog: Iterable[Suggestion], held: dict[int, set[int]]) -> None:
        self.held = held
        self.by_category: dict[str, list[Suggestion]] = {}
        for course in sorted(catalog, key=lambda c: c.code):
            self.by_category.setdefault(course.category, []).append(course)
        self.category_of = {c.course_id: c.category for group in self.by_category.values() for c in group}
        self.order = [c for c in PREFERRED_CATEGORIES if c in self.by_category]
        self.order += sorted(c for c in self.by_category if c not in PREFERRED_CATEGORIES)

    @classmethod
    async def load(cls, staff_ids: Iterable[int] | None) -> CourseSuggester:
        """The catalog's courses, and the ones each person holds (None: everyone, without an IN list)."""
        rows = await Course.filter(kind="course", source="catalog", code__isnull=False).exclude(category="").values_list(
            "id", "code", "name", "category"
        )
        query = Submission.filter(status__in=HELD_STATES, course_id__isnull=False)
        if staff_ids is not None:
            query = query.filter(staff_id__in=list(staff_ids))
        held: dict[int, set[int]] = {}
        for staff_id, course_id in await query.distinct().values_list("staff_id", "course_id"):
            held.setdefault(staff_id, set()).add(course_id)
        return cls((Suggestion(*row) for row in rows), held)

    def for_person(self, staff_id: int, count: int, agreed: Iterable[int] = ()) -> list[Suggestion]:
        """Up to `count` courses (at most three) for one person: new categories first, nothing they hold."""
        count = max(0, min(count, MOST))
        skip = self.held.get(staff_id, set()) | set(agreed)
        covered = {self.category_of.get(course_id) for course_id in skip}
        # Categories the person has nothing in come first, in the preferred order; then the rest.
        order = [c for c in self.order if c not in covered] + [c for c in self.order if c in covered]
        picks: list[Suggestion] = []
        while len(picks) < count:  # one per category per pass, new categories first
            before = len(picks)
            for category in order:
                courses = [c for c in self.by_category[category] if c.course_id not in skip]
                if courses and len(picks) < count:
                    pick = courses[staff_id % len(courses)]
                    picks.append(pick)
                    skip.add(pick.course_id)
            if len(picks) == before:
                break  # the catalog has nothing left to suggest
        return picks
