"""Job dependencies as sbatch spells them: `afterok:1:2,afterany:3` or `a?b`.

Standard library only: the client parses here before it talks to the host.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from runner.spec import SpecError

KINDS = ("after", "afterany", "afterok", "afternotok")
_TERM = re.compile(r"^(?P<kind>[a-z]+):(?P<ids>\d+(?::\d+)*)$")
_FINAL = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY")
_BAD_END = ("FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY")

MET, WAIT, NEVER = "met", "wait", "never"


@dataclass(frozen=True)
class Term:
    """One condition on some jobs: all of them must satisfy kind."""

    kind: str
    ids: tuple[int, ...]

    def __str__(self) -> str:
        return ":".join([self.kind, *map(str, self.ids)])


@dataclass(frozen=True)
class Dependency:
    """Terms that must all hold (`,`), or of which one must (`?`)."""

    terms: tuple[Term, ...]
    any_of: bool = False

    def __str__(self) -> str:
        return ("?" if self.any_of else ",").join(map(str, self.terms))

    @property
    def ids(self) -> set[int]:
        return {job_id for term in self.terms for job_id in term.ids}

    def expand(self, tasks: Callable[[int], list[int]]) -> Dependency:
        """The same dependency with each array id replaced by its tasks' ids."""
        terms = tuple(
            Term(term.kind, tuple(i for job_id in term.ids for i in tasks(job_id)))
            for term in self.terms
        )
        return Dependency(terms, self.any_of)


def parse(text: str) -> Dependency:
    """A dependency from its sbatch spelling; raises SpecError naming the flag."""
    value = text.strip()
    if "," in value and "?" in value:
        raise SpecError("-d/--dependency: use ',' (all) or '?' (any), not both")
    any_of = "?" in value
    terms = []
    for part in value.split("?" if any_of else ","):
        match = _TERM.match(part.strip())
        if not match or match["kind"] not in KINDS:
            raise SpecError(
                f"-d/--dependency: {part!r} is not KIND:ID[:ID...] with KIND one "
                f"of {', '.join(KINDS)}"
            )
        ids = tuple(int(i) for i in match["ids"].split(":"))
        if any(job_id < 1 for job_id in ids):
            raise SpecError(f"-d/--dependency: {part!r} names job id 0")
        terms.append(Term(match["kind"], ids))
    return Dependency(tuple(terms), any_of)


def evaluate(dependency: Dependency, states: Mapping[int, str]) -> tuple[str, str]:
    """MET, WAIT or NEVER, and the term that decided it when not MET."""
    outcomes = [(_term(term, states), str(term)) for term in dependency.terms]
    if dependency.any_of:
        if any(outcome == MET for outcome, _ in outcomes):
            return MET, ""
        if all(outcome == NEVER for outcome, _ in outcomes):
            return NEVER, str(dependency)
        return WAIT, str(dependency)
    for outcome, text in outcomes:
        if outcome == NEVER:
            return NEVER, text
    for outcome, text in outcomes:
        if outcome == WAIT:
            return WAIT, text
    return MET, ""


def _term(term: Term, states: Mapping[int, str]) -> str:
    results = [_one(term.kind, states.get(job_id)) for job_id in term.ids]
    if NEVER in results:
        return NEVER
    return WAIT if WAIT in results else MET


def _one(kind: str, state: str | None) -> str:
    if state is None:
        return NEVER
    if kind == "after":
        return WAIT if state == "PENDING" else MET
    if state not in _FINAL:
        return WAIT
    if kind == "afterany":
        return MET
    if kind == "afterok":
        return MET if state == "COMPLETED" else NEVER
    return MET if state in _BAD_END else NEVER
