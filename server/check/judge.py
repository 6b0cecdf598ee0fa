"""Pure judging: an :class:`Observation` of one case in, a :class:`Judgement` out.

The contract's reply rules live here and only here: parity replies are judged by their word
(case-insensitive, a whole word, exactly one of the two kinds; the number's echo is not
judged), length replies by their first integer. No I/O, no clock.
"""

from __future__ import annotations

import re

from server.check.cases import PIPELINED_EXPECT, WRONG_COUNTS, Case
from server.check.results import REPLY_LIMIT, Exchange, Judgement, Observation, shown

PARITY_WORDS = re.compile(r"\b(genap|even|ganjil|odd)\b", re.IGNORECASE)
KIND_OF_WORD = {"genap": "even", "even": "even", "ganjil": "odd", "odd": "odd"}
INTEGER = re.compile(r"-?\d+")
AT_ONCE_WITHIN_MS = 1000.0


def reply_text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def parity_said(data: bytes) -> tuple[str | None, str]:
    """(``even``/``odd``, the word as written) when the reply holds words of exactly one
    kind; (``both``, ...) when it holds both kinds; (None, "") when it holds none."""
    words = PARITY_WORDS.findall(reply_text(data))
    kinds = {KIND_OF_WORD[w.lower()] for w in words}
    if not kinds:
        return None, ""
    if len(kinds) > 1:
        return "both", " / ".join(dict.fromkeys(words))
    return kinds.pop(), words[0]


def first_integer(data: bytes) -> int | None:
    match = INTEGER.search(reply_text(data))
    return int(match.group()) if match else None


def detect_exercise(first_reply: bytes) -> str:
    """``--exercise auto``: a parity word means parity, else an integer means length, else
    parity (the lab's first exercise; the report then shows why each case failed)."""
    said, _ = parity_said(first_reply)
    if said is not None:
        return "parity"
    return "length" if first_integer(first_reply) is not None else "parity"


def _shown(data: bytes) -> str:
    return shown(data, 60)


def _no_answer(case: Case, seen: Exchange, obs: Observation, timeout: float) -> Judgement:
    """The exchange brought no reply: say how it ended, and what that usually means."""
    if obs.crashed:
        return Judgement("fail", "crashed", {"status": obs.exit.status, "hint": case.hint})
    if seen.ended == "timeout":
        return Judgement("fail", "no_reply_timeout", {"timeout": timeout, "hint": case.hint})
    return Judgement("fail", f"no_reply_{seen.ended}", {"hint": case.hint})


def judge_answer(case: Case, seen: Exchange, obs: Observation, timeout: float) -> Judgement:
    """A parity or length case: is the one reply right?"""
    if seen.cut:
        return Judgement("fail", "cut", {"limit_kib": REPLY_LIMIT // 1024})
    if not seen.answered:
        return _no_answer(case, seen, obs, timeout)
    crashed = obs.crashed
    if case.kind == "parity":
        said, word = parity_said(seen.received)
        base = {"number": case.number, "expected": case.expect, "reply": _shown(seen.received)}
        if said is None:
            return Judgement("fail", "no_parity_word", base)
        if said == "both":
            return Judgement("fail", "both_parity_words", base | {"word": word})
        if said != case.expect:
            key = "wrong_float" if case.hint == "float" else "wrong_parity"
            return Judgement("fail", key, base | {"word": word, "hint": case.hint})
        if crashed:
            return Judgement("fail", "crashed_after_reply", {"status": obs.exit.status})
        return Judgement("pass", "right_parity", base | {"word": word})
    count = first_integer(seen.received)
    base = {"text": _shown(case.sends), "expected": case.expect[0], "reply": _shown(seen.received)}
    if count is None:
        return Judgement("fail", "no_integer", base)
    base["count"] = count
    if count not in case.expect:
        key = WRONG_COUNTS.get(case.id, {}).get(count, "wrong_count")
        return Judgement("fail", key, base)
    if crashed:
        return Judgement("fail", "crashed_after_reply", {"status": obs.exit.status})
    return Judgement("pass", "right_count", base)


def _next_client(case: Case, obs: Observation, timeout: float, passed: str) -> Judgement:
    """Robustness, second half: the program did not crash; does the next client get a reply?"""
    nxt = obs.after
    answered_first = obs.main.answered
    if obs.exit is not None:  # exited with status 0: it serves one client and stops
        return Judgement("fail", "exited_after_one", {"status": obs.exit.status})
    if nxt is None or not nxt.connected:
        key = "stopped_after_reply" if answered_first else "stopped_silent"
        return Judgement("fail", key, {"hint": case.hint})
    if not nxt.answered:
        return Judgement("fail", "next_unanswered", {"ended": nxt.ended, "timeout": timeout})
    return Judgement("pass", passed, {"ended": obs.main.ended})


def judge_robust(case: Case, obs: Observation, timeout: float) -> Judgement:
    """``not_a_number``/``invalid_utf8``, ``empty`` and ``long``: the server answers or
    closes (or, for ``empty``, nothing is asked of it) and still answers the next client."""
    if obs.crashed:
        return Judgement("fail", "crashed", {"status": obs.exit.status, "hint": case.hint})
    if obs.main.cut and case.id != "long":  # an echo of the long line may pass 64 KiB
        return Judgement("fail", "cut", {"limit_kib": REPLY_LIMIT // 1024})
    if case.kind != "empty" and obs.main.ended == "timeout" and not obs.main.answered:
        return Judgement("fail", "robust_silent", {"timeout": timeout, "hint": case.hint})
    passed = "still_answers_empty" if case.kind == "empty" else (
        "still_answers_after_reply" if obs.main.answered else "still_answers_after_close")
    return _next_client(case, obs, timeout, passed)


def judge_sequential(case: Case, obs: Observation, timeout: float) -> Judgement:
    if obs.crashed:
        return Judgement("fail", "crashed", {"status": obs.exit.status, "hint": case.hint})
    if not obs.main.answered:
        return _no_answer(case, obs.main, obs, timeout)
    return _next_client(case, obs, timeout, "both_answered")


def judge_two_clients(case: Case, obs: Observation, timeout: float) -> Judgement:
    """Info: at once (B answered within 1 s while A waits) or one at a time; fail only
    when the server crashes (or stops accepting)."""
    if obs.crashed:
        return Judgement("fail", "crashed", {"status": obs.exit.status, "hint": "empty"})
    waited = round((obs.waited_ms or 0.0) / 1000, 1)
    if obs.main.answered:
        if obs.while_waiting and (obs.waited_ms or 0.0) <= AT_ONCE_WITHIN_MS:
            return Judgement("info", "at_once", {"ms": round(obs.waited_ms or 0.0, 1)}, "at_once")
        return Judgement("info", "one_at_a_time", {"seconds": waited}, "one_at_a_time")
    if obs.after is not None and not obs.after.connected:
        return Judgement("fail", "stopped_silent", {"hint": "empty"})
    return Judgement("info", "b_unanswered", {"ended": obs.main.ended, "timeout": timeout},
                     "one_at_a_time")


def _matches(exercise: str, data: bytes, expected: object) -> bool:
    if exercise == "parity":
        return parity_said(data)[0] == expected
    return first_integer(data) == expected


def judge_pipelined(case: Case, obs: Observation, exercise: str) -> Judgement:
    """Info: how a server handles two requests that arrive in one packet."""
    if obs.crashed:
        return Judgement("fail", "crashed", {"status": obs.exit.status, "hint": "pipelined"})
    first, second = PIPELINED_EXPECT[exercise]
    got_first = obs.main.answered and _matches(exercise, obs.main.received, first)
    got_second = (obs.after is not None and obs.after.answered
                  and _matches(exercise, obs.after.received, second))
    reply = _shown(obs.main.received)
    if got_first and got_second:
        return Judgement("info", "both_in_order", {}, "both_in_order")
    if got_first:
        return Judgement("info", "only_first", {"reply": reply}, "only_first")
    if obs.main.answered:
        return Judgement("info", "as_one", {"reply": reply}, "as_one")
    return Judgement("info", "pipelined_unanswered", {"ended": obs.main.ended}, "none")


def judge(case: Case, obs: Observation, exercise: str, timeout: float) -> Judgement:
    """The verdict of one case (``skip`` is decided by the runner, never here)."""
    if case.kind in ("parity", "length"):
        return judge_answer(case, obs.main, obs, timeout)
    if case.kind in ("robust", "empty"):
        return judge_robust(case, obs, timeout)
    if case.kind == "sequential":
        return judge_sequential(case, obs, timeout)
    if case.kind == "two_clients":
        return judge_two_clients(case, obs, timeout)
    return judge_pipelined(case, obs, exercise)
