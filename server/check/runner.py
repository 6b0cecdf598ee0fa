"""Runs the catalogue against one target, case by case, in the contract's order.

Each case gets new connections; every wait is bounded by the timeout. Without ``--run`` a
server that stops accepting makes the remaining cases ``skip`` (``Report.stopped_after``);
with ``--run`` the program is started again before any case it did not live to see, and its
exit during a case becomes part of that case's observation.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from server.check import judge as judging
from server.check.cases import PARITY_CASES, PROBE, Case, catalogue
from server.check.results import CaseResult, Exchange, Observation, Report
from server.check.supervisor import SETTLE, RunError, Supervisor
from server.check.wire import Client, Unreachable, elapsed_ms, exchange, resolve, unconnected
from server.class_file import join_host_port

AT_ONCE_WINDOW = 1.0


class Runner:
    def __init__(self, host: str, port: int, *, exercise: str = "auto", timeout: float = 2.0,
                 supervisor: Supervisor | None = None,
                 on_case: Callable[[CaseResult], None] | None = None,
                 on_exercise: Callable[[Report], None] | None = None) -> None:
        self.host, self.port = host, port
        self.exercise = exercise
        self.timeout = timeout
        self.supervisor = supervisor
        self.on_case = on_case or (lambda result: None)
        self.on_exercise = on_exercise or (lambda report: None)
        self.addresses: list[tuple[int, tuple]] = []

    @property
    def target(self) -> str:
        return join_host_port(self.host, self.port)

    async def run(self) -> Report:
        """The whole check. RunError (``--run`` that never listens) propagates; an
        unreachable target is a report with ``unreachable`` set and no cases."""
        report = Report(self.target, "parity" if self.exercise == "auto" else self.exercise,
                        timeout=self.timeout,
                        command=self.supervisor.command if self.supervisor else None)
        try:
            self.addresses = await resolve(self.host, self.port)
        except Unreachable as exc:
            report.unreachable = str(exc)
            return report
        try:
            if self.supervisor is not None:
                await self.supervisor.start()
            await self._run_cases(report)
        finally:
            if self.supervisor is not None:
                await self.supervisor.stop()
                report.starts = self.supervisor.starts
        return report

    async def _run_cases(self, report: Report) -> None:
        cases = list(catalogue(report.exercise))
        first_done: CaseResult | None = None
        if self.exercise == "auto":
            first = PARITY_CASES[0]
            restarted = await self._ensure_running()
            observation = await self.observe(first, "parity")
            if await self._unreachable(report, observation):
                return
            report.exercise = judging.detect_exercise(observation.main.received)
            cases = list(catalogue(report.exercise))
            if report.exercise == "parity":
                first_done = await self._result(first, observation, report, restarted)
                cases = cases[1:]
        self.on_exercise(report)
        if first_done is not None:
            self._record(report, first_done)
        for case in cases:
            if report.stopped_after is not None:
                self._record(report, self._skipped(case, report.stopped_after))
                continue
            try:
                restarted = await self._ensure_running()
            except RunError:
                report.stopped_after = report.cases[-1].id if report.cases else "start"
                self._record(report, self._skipped(case, report.stopped_after))
                continue
            observation = await self.observe(case, report.exercise)
            if not report.cases and await self._unreachable(report, observation):
                return
            if self.supervisor is None and not observation.main.connected:
                report.stopped_after = report.cases[-1].id if report.cases else "start"
                self._record(report, self._skipped(case, report.stopped_after))
                continue
            result = await self._result(case, observation, report, restarted)
            self._record(report, result)
            after = observation.after
            if (self.supervisor is None and after is not None and not after.connected
                    and case.kind != "pipelined"):
                report.stopped_after = case.id

    async def _unreachable(self, report: Report, observation: Observation) -> bool:
        if not observation.main.connected:  # the connect's own reason, not a second try
            why = observation.main.why
            report.unreachable = f"cannot connect to {self.target}: {why or 'refused'}"
            return True
        return False

    async def _ensure_running(self) -> bool | None:
        if self.supervisor is None:
            return None
        return await self.supervisor.ensure_running()

    def _record(self, report: Report, result: CaseResult) -> None:
        report.cases.append(result)
        self.on_case(result)

    def _skipped(self, case: Case, after: str) -> CaseResult:
        return CaseResult(case.id, "skip", case.sends, b"", "refused", 0.0, "skipped",
                          {"after": after})

    async def _result(self, case: Case, observation: Observation, report: Report,
                      restarted: bool | None) -> CaseResult:
        if self.supervisor is not None:
            await self._settle(observation.after or observation.main)
            exit_ = await self.supervisor.take_exit()
            if exit_ is not None:
                observation = Observation(observation.main, observation.after, exit_,
                                          observation.waited_ms, observation.while_waiting)
        verdict = judging.judge(case, observation, report.exercise, self.timeout)
        main = observation.main
        return CaseResult(case.id, verdict.verdict, main.sent, main.received, main.ended,
                          main.ms, verdict.key, verdict.vars, verdict.finding, main.cut,
                          restarted, observation.exit)

    async def _settle(self, seen: Exchange) -> None:
        """The server closed on us: give a ``--run`` program a moment to exit, if it will,
        so its exit counts for this case and the next case starts it again."""
        if self.supervisor is not None and seen.ended in ("closed", "reset", "refused"):
            await self.supervisor.wait_exit(SETTLE)

    # -- what each kind of case does on the wire -----------------------------------------
    async def observe(self, case: Case, exercise: str) -> Observation:
        if case.kind in ("parity", "length"):
            return Observation(await exchange(self.addresses, case.sends, self.timeout))
        if case.kind == "robust":
            main = await exchange(self.addresses, case.sends, self.timeout)
            return Observation(main, await self._next_client(main, exercise))
        if case.kind == "empty":
            return await self._empty(exercise)
        if case.kind == "sequential":
            first = await exchange(self.addresses, case.sends, self.timeout)
            if not first.answered:
                return Observation(first)
            await self._settle(first)
            return Observation(first, await exchange(self.addresses, case.sends, self.timeout))
        if case.kind == "two_clients":
            return await self._two_clients(case, exercise)
        return await self._pipelined(case)

    async def _next_client(self, seen: Exchange, exercise: str) -> Exchange:
        await self._settle(seen)
        return await exchange(self.addresses, PROBE[exercise], self.timeout)

    async def _empty(self, exercise: str) -> Observation:
        started = time.monotonic()
        client, ended, why = await Client.connect(self.addresses, self.timeout)
        if client is None:
            return Observation(unconnected(b"", ended, started, why))
        client.close()
        main = Exchange(b"", b"", "closed", elapsed_ms(started))
        await asyncio.sleep(0.05)  # let the server see the close before the next client
        return Observation(main, await self._next_client(main, exercise))

    async def _two_clients(self, case: Case, exercise: str) -> Observation:
        """A connects and sends nothing for ``timeout``; B sends a request meanwhile."""
        a_started = time.monotonic()
        client_a, ended, why = await Client.connect(self.addresses, self.timeout)
        if client_a is None:
            return Observation(unconnected(b"", ended, a_started, why))
        client_b = None
        try:
            b_started = time.monotonic()
            client_b, ended, why = await Client.connect(self.addresses, self.timeout)
            if client_b is None:
                return Observation(unconnected(case.sends, ended, b_started, why))
            sent = time.monotonic()
            how = await client_b.send(case.sends, self.timeout)
            window = min(AT_ONCE_WINDOW, self.timeout)
            reply, ended, cut = await client_b.read_reply(sent + window)
            while_waiting = bool(reply)
            if not reply and how != "reset" and ended == "timeout":
                await asyncio.sleep(max(0.0, a_started + self.timeout - time.monotonic()))
                client_a.close()
                client_a = None
                reply, ended, cut = await client_b.read_reply(time.monotonic() + self.timeout)
            answered_at = client_b.last_byte if reply else time.monotonic()
            waited = (answered_at - sent) * 1000
            main = Exchange(case.sends, reply, ended, round((answered_at - b_started) * 1000, 2),
                            cut)
        finally:
            if client_a is not None:
                client_a.close()
            if client_b is not None:
                client_b.close()
        after = None
        if not main.answered:
            after = await self._next_client(main, exercise)
        return Observation(main, after, waited_ms=round(waited, 1), while_waiting=while_waiting)

    async def _pipelined(self, case: Case) -> Observation:
        started = time.monotonic()
        client, ended, why = await Client.connect(self.addresses, self.timeout)
        if client is None:
            return Observation(unconnected(case.sends, ended, started, why))
        try:
            how = await client.send(case.sends, self.timeout)
            first, ended, cut = await client.read_reply(time.monotonic() + self.timeout)
            main = Exchange(case.sends, first, ended if how != "timeout" or first else how,
                            elapsed_ms(started, client.last_byte if first else 0.0), cut)
            second, ended2, cut2 = await client.read_reply(time.monotonic() + self.timeout)
            after = Exchange(b"", second, ended2,
                             elapsed_ms(started, client.last_byte if second else 0.0), cut2)
        finally:
            client.close()
        return Observation(main, after)
