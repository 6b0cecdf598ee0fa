"""Judging without a network: observations in, verdicts and teaching explanations out."""

from __future__ import annotations

import re
import string

import pytest

from server.check.cases import LENGTH_CASES, PARITY_CASES, case_ids, catalogue, common_cases
from server.check.explain import HINT_CRASH, LABELS, TEXT, explain
from server.check.judge import detect_exercise, first_integer, judge, parity_said
from server.check.results import Exchange, Observation, ProgramExit

CASE = {case.id: case for case in catalogue("parity")}
LCASE = {case.id: case for case in catalogue("length")}


def reply(data: bytes, ended: str = "reply", **kw) -> Exchange:
    return Exchange(b"", data, ended, 1.0, **kw)


def verdict(case, obs: Observation, exercise: str = "parity", timeout: float = 2.0):
    return judge(case, obs, exercise, timeout)


def say(judgement, lang: str = "en") -> str:
    return explain(judgement.key, judgement.vars, lang)


def test_case_ids_and_order_are_the_contracts() -> None:
    assert case_ids("parity") == ["even", "odd", "zero", "negative", "big", "no_newline", "crlf",
                                  "not_a_number", "empty", "long", "sequential", "two_clients",
                                  "pipelined"]
    assert case_ids("length") == ["ascii", "non_ascii", "emoji", "newline", "crlf",
                                  "invalid_utf8", "empty", "long", "sequential", "two_clients",
                                  "pipelined"]


def test_what_the_cases_send() -> None:
    sends = {case.id: case.sends for case in PARITY_CASES}
    assert sends == {"even": b"42\n", "odd": b"7\n", "zero": b"0\n", "negative": b"-7\n",
                     "big": b"18446744073709551617\n", "no_newline": b"42", "crlf": b"42\r\n"}
    assert int(sends["big"]) == 2**64 + 1
    assert [case.sends for case in LENGTH_CASES] == [
        b"halo dunia", "héllo".encode(), "👋🏽".encode(), b"halo\n", b"halo\r\n"]
    common = {case.id: case.sends for case in common_cases("length")}
    assert common["invalid_utf8"] == b"\xff\xfe"
    assert common["long"].endswith(b"\n") and len(common["long"]) == 100_001


@pytest.mark.parametrize(("text", "kind"), [
    ("angka 42 merupakan genap", "even"), ("42 is EVEN", "even"), ("Ganjil", "odd"),
    ("angka42 merupakan ganjil", "odd"), ("7 is odd\n", "odd"), ("uneven oddity", None),
    ("genapnya", None), ("", None), ("genap atau ganjil", "both"),
])
def test_parity_word_is_a_whole_word_of_exactly_one_kind(text: str, kind: str | None) -> None:
    assert parity_said(text.encode())[0] == kind


def test_first_integer_and_exercise_detection() -> None:
    assert first_integer(b"jumlah karakter: 10") == 10
    assert first_integer(b"no number") is None
    assert detect_exercise(b"angka 42 merupakan genap") == "parity"
    assert detect_exercise(b"2") == "length"
    assert detect_exercise(b"") == "parity"


def test_missing_else_is_explained_in_both_languages() -> None:
    j = verdict(CASE["even"], Observation(reply(b"angka42 merupakan ganjil", "closed")))
    assert j.verdict == "fail"
    assert say(j) == "42 is even, the reply says “ganjil”: is an `else` missing?"
    assert "apakah ada `else` yang hilang?" in say(j, "id")
    assert "42 itu genap" in say(j, "id")


def test_float_rounding_of_two_to_the_64_plus_one() -> None:
    j = verdict(CASE["big"], Observation(reply(b"angka 18446744073709551617 merupakan genap\n")))
    assert j.verdict == "fail"
    assert "18446744073709551617 is odd" in say(j)
    assert "float rounds it to an even number" in say(j)


def test_right_words_pass_and_the_echo_is_not_judged() -> None:
    j = verdict(CASE["negative"], Observation(reply(b"angka 999 merupakan GANJIL\n")))
    assert j.verdict == "pass"


@pytest.mark.parametrize(("data", "key"), [(b"angka 42\n", "no_parity_word"),
                                           (b"genap? ganjil!\n", "both_parity_words")])
def test_replies_without_exactly_one_word_fail(data: bytes, key: str) -> None:
    j = verdict(CASE["even"], Observation(reply(data)))
    assert (j.verdict, j.key) == ("fail", key)


def test_no_reply_to_a_request_without_lf_suggests_waiting_for_lf() -> None:
    j = verdict(CASE["no_newline"], Observation(reply(b"", "timeout")))
    assert j.verdict == "fail"
    assert say(j) == ("no reply within 2.0 s: does it wait for a LF? The lab sheet's client "
                      "sends none.")
    assert "2,0 detik" in say(j, "id")


@pytest.mark.parametrize(("case_id", "count", "verdict_", "key"), [
    ("ascii", 10, "pass", "right_count"), ("non_ascii", 6, "fail", "counted_bytes"),
    ("non_ascii", 5, "pass", "right_count"), ("emoji", 1, "pass", "right_count"),
    ("emoji", 2, "pass", "right_count"), ("emoji", 8, "fail", "counted_bytes"),
    ("newline", 5, "fail", "counted_line_end"), ("crlf", 6, "fail", "counted_line_end"),
    ("crlf", 5, "fail", "counted_line_end"), ("ascii", 11, "fail", "wrong_count"),
])
def test_length_is_judged_by_the_first_integer(case_id, count, verdict_, key) -> None:
    j = verdict(LCASE[case_id], Observation(reply(f"jumlah karakter: {count}".encode())),
                "length")
    assert (j.verdict, j.key) == (verdict_, key)


def test_counting_bytes_is_explained() -> None:
    j = verdict(LCASE["non_ascii"], Observation(reply(b"6")), "length")
    assert "UTF-8 bytes" in say(j) and "len(data.decode())" in say(j)


def test_a_cut_reply_fails_saying_so() -> None:
    j = verdict(CASE["even"], Observation(reply(b"x" * 65536, cut=True)))
    assert (j.verdict, j.key) == ("fail", "cut")
    assert "64 KiB" in say(j)


def test_crash_on_abc_without_run_is_a_server_that_stopped_accepting() -> None:
    refused = Exchange(b"42\n", b"", "refused", 0.0, connected=False)
    j = verdict(CASE["not_a_number"], Observation(reply(b"", "closed"), refused))
    assert j.verdict == "fail"
    assert say(j).startswith("the server closed without replying and stopped accepting: "
                             "did int() raise on 'abc'?")


def test_crash_with_run_names_the_exit_status() -> None:
    crash = ProgramExit(1, ("Traceback (most recent call last):", "ValueError: ..."))
    j = verdict(CASE["not_a_number"], Observation(reply(b"", "closed"), None, crash))
    assert (j.verdict, j.key, j.vars["status"]) == ("fail", "crashed", 1)
    assert "did int() raise on 'abc'?" in say(j)


def test_exit_after_one_client_fails_sequential() -> None:
    j = verdict(CASE["sequential"], Observation(reply(b"ganjil", "closed"),
                                                Exchange(b"", b"", "refused", 0.0, connected=False),
                                                ProgramExit(0, ())))
    assert (j.verdict, j.key) == ("fail", "exited_after_one")


def test_robust_cases_pass_when_the_next_client_is_answered() -> None:
    answered = reply(b"genap\n")
    for case_id, main in (("not_a_number", reply(b"ERR\n")), ("empty", reply(b"", "closed")),
                          ("long", reply(b"x" * 65536, cut=True))):
        assert verdict(CASE[case_id], Observation(main, answered)).verdict == "pass"
    silent = verdict(CASE["not_a_number"], Observation(reply(b"", "timeout"), answered))
    assert (silent.verdict, silent.key) == ("fail", "robust_silent")
    unanswered = verdict(CASE["empty"], Observation(reply(b"", "closed"), reply(b"", "timeout")))
    assert (unanswered.verdict, unanswered.key) == ("fail", "next_unanswered")


def test_two_clients_at_once_or_one_at_a_time() -> None:
    at_once = verdict(CASE["two_clients"], Observation(reply(b"genap\n"), waited_ms=3.2,
                                                       while_waiting=True))
    assert (at_once.verdict, at_once.finding) == ("info", "at_once")
    queued = verdict(CASE["two_clients"], Observation(reply(b"genap\n"), waited_ms=2004.0))
    assert (queued.verdict, queued.finding) == ("info", "one_at_a_time")
    assert say(queued) == ("one at a time — the second client waited 2.0 s: the server serves "
                           "one client at a time (single-threaded, as in the lab sheet).")
    assert say(at_once).startswith("at once — ")
    assert "menunggu 2,0 detik" in say(queued, "id")
    crashed = verdict(CASE["two_clients"], Observation(reply(b"", "reset"),
                                                       exit=ProgramExit(1, ())))
    assert crashed.verdict == "fail"


def test_pipelined_findings() -> None:
    both = Observation(reply(b"genap\n"), reply(b"ganjil\n"))
    assert verdict(CASE["pipelined"], both).finding == "both_in_order"
    only = Observation(reply(b"genap\n"), reply(b"", "timeout"))
    assert verdict(CASE["pipelined"], only).finding == "only_first"
    as_one = Observation(reply(b"jumlah karakter: 16"), reply(b"", "closed"))
    assert verdict(CASE["pipelined"], as_one, "length").finding == "as_one"
    assert verdict(CASE["pipelined"], both).verdict == "info"


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("table", [TEXT, LABELS, HINT_CRASH])
def test_both_languages_say_the_same_things(table: dict) -> None:
    assert table["en"].keys() == table["id"].keys()
    for key, english in table["en"].items():
        assert placeholders(english) == placeholders(table["id"][key]), key


def test_indonesian_explanations_avoid_peladen_and_bita() -> None:
    words = " ".join(TEXT["id"].values()) + " ".join(LABELS["id"].values())
    assert not re.search(r"peladen|bita\b", words, re.I)
