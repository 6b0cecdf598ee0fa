"""The values a check produces. Reports are pure functions of a :class:`Report`.

Bytes stay bytes here; they become text (``\\xNN`` for what is not UTF-8) only in reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

ENDINGS = ("reply", "closed", "reset", "timeout", "refused")
VERDICTS = ("pass", "fail", "info", "skip")
REPLY_LIMIT = 64 * 1024  # a reply is cut here: a server that floods without end cannot fill memory


@dataclass(frozen=True, slots=True)
class Exchange:
    """One client's conversation: what it sent, what came back and how that ended.

    ``ended``: ``reply`` (a LF, or a pause after some bytes), ``closed`` (the server closed;
    the bytes before are still its reply), ``reset``, ``timeout`` (nothing within the
    bound) or ``refused`` (no connection)."""

    sent: bytes
    received: bytes
    ended: str
    ms: float
    cut: bool = False  # the reply reached REPLY_LIMIT and was not read further
    connected: bool = True  # False: ``refused``/``timeout`` came from the connect itself
    why: str = ""  # for an unconnected one: the connect's own reason ("connection refused")

    @property
    def answered(self) -> bool:
        return bool(self.received)


@dataclass(frozen=True, slots=True)
class ProgramExit:
    """How a ``--run`` program ended during a case, with the last lines it printed."""

    status: int
    output: tuple[str, ...]

    @property
    def crashed(self) -> bool:
        return self.status != 0


@dataclass(frozen=True, slots=True)
class Observation:
    """What the runner saw during one case: the judge's whole input.

    ``main``: the exchange the case is about (client B for ``two_clients``, the first client
    for ``sequential``); ``after``: the next client (``sequential``'s second, the probe after
    a robustness case) or the second reply (``pipelined``); ``waited_ms``: how long client B
    waited for its reply; ``while_waiting``: B was answered within 1 s while A was still
    connected."""

    main: Exchange
    after: Exchange | None = None
    exit: ProgramExit | None = None
    waited_ms: float | None = None
    while_waiting: bool = False

    @property
    def crashed(self) -> bool:
        """The program (``--run``) exited with a failure during the case."""
        return self.exit is not None and self.exit.crashed


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: str
    key: str  # explanation key in :mod:`server.check.explain`
    vars: dict = field(default_factory=dict)
    finding: str = ""  # info cases: "at_once", "one_at_a_time", "both_in_order", ...


@dataclass(frozen=True, slots=True)
class CaseResult:
    id: str
    verdict: str
    sent: bytes
    received: bytes
    ended: str
    ms: float
    key: str
    vars: dict
    finding: str = ""
    cut: bool = False
    restarted: bool | None = None  # --run only: the program was started again before it
    exit: ProgramExit | None = None


@dataclass(slots=True)
class Report:
    target: str
    exercise: str
    cases: list[CaseResult] = field(default_factory=list)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    stopped_after: str | None = None  # without --run: the server stopped accepting after it
    command: str | None = None  # --run
    starts: int = 0  # --run: how many times the program was started
    timeout: float = 2.0
    unreachable: str = ""  # why the target could not be reached at all ("" when it was)
    name: str = ""  # --targets: the student's name from the class file

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(VERDICTS, 0)
        for case in self.cases:
            counts[case.verdict] += 1
        return counts

    @property
    def ok(self) -> bool:
        counts = self.summary()
        return not self.unreachable and counts["fail"] == 0 and counts["skip"] == 0

    def finding(self, case_id: str) -> str:
        return next((c.finding for c in self.cases if c.id == case_id), "")


def wire_text(data: bytes) -> str:
    """Bytes as text for a report: UTF-8 as itself, other bytes as ``\\xNN``."""
    return data.decode("utf-8", "backslashreplace")


def shown(data: bytes, limit: int = 0) -> str:
    """One line for a table: :func:`wire_text` with CR, LF and tab as escapes, and cut to
    ``limit`` characters (head…tail) when ``limit`` is given."""
    text = wire_text(data).replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    if limit and len(text) > limit:
        half = limit // 2
        text = f"{text[:half]}…{text[-half:]} ({len(data):,} bytes)"
    return text
