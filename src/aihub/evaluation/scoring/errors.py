"""The two ways scoring fails, told apart by who must act on the message.

``SubmissionError`` is shown to the participant: it says what is wrong and how to fix it,
and it never quotes anything taken from the hidden solution beyond the ids (participants
already know the test ids from ``test.csv``). No label, target value, split membership or
count per class or split may appear in it.

``SolutionError`` is shown to the host who uploaded the solution: it may quote the
solution's values, since the host wrote them.
"""

from __future__ import annotations

from collections.abc import Sequence


class SubmissionError(ValueError):
    """The participant's file cannot be scored; ``problems`` holds one line per problem."""

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems: tuple[str, ...] = (
            (problems,) if isinstance(problems, str) else tuple(problems)
        )
        super().__init__("\n".join(self.problems))


class SolutionError(ValueError):
    """The host's solution file (or its evaluation settings) cannot be used for scoring."""


def plural(count: int, word: str) -> str:
    """``1 row``, ``2 rows``, ``1,234 rows``: counts in messages read naturally."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"
