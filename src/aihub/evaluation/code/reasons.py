"""Plain reasons for a failed run, and the log a participant may read.

The participant's own program wrote everything they see here (its output, its traceback);
nothing of the hidden solution can appear, since the solution is never in the sandbox.
"""

from __future__ import annotations

from aihub.evaluation.sandbox import Outcome, RunResult

TRACEBACK_LINES = 12


def participant_log(result: RunResult) -> str:
    parts = []
    if result.stdout:
        parts.append(result.stdout + ("\n[… output cut]" if result.stdout_truncated else ""))
    if result.stderr:
        parts.append(result.stderr + ("\n[… output cut]" if result.stderr_truncated else ""))
    return "\n".join(parts)


def plain_failure(result: RunResult) -> str:
    """One paragraph: what stopped the program, then the end of its error output."""
    reason = result.reason
    if result.outcome is Outcome.FAILED:
        tail = result.stderr_tail(TRACEBACK_LINES)
        own = [line for line in tail.splitlines() if line.startswith("aihub: ")]
        if own:  # the model harness explains the problem itself
            return own[-1].removeprefix("aihub: ").capitalize()
        return f"{reason} The last lines it wrote:\n{tail}" if tail else reason
    return reason
