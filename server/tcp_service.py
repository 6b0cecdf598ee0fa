"""The asyncio TCP service on port 12345: moves bytes between sockets and the sans-I/O core.

It owns what the core cannot: timers (idle flush of an unterminated request, idle timeout),
flow control (stop reading a client whose replies pile up; cut it off when it has not read
for ``send_timeout`` seconds), ``--single`` turn-taking, and the request log, metrics and
server-view events. Replies to one ``data_received`` go out in one ``write``.

Limits (all options, see docs/protocol.md):

* write buffer high-water mark :data:`WRITE_HIGH_WATER`: past it the service stops reading
  that client until its replies drain, so a client that does not read cannot make the
  service buffer more than about one read's worth of replies;
* ``send_timeout``: a client whose replies stay undrained that long is cut off;
* ``idle_timeout``: a client that sends nothing that long is closed (a client waiting its
  turn under ``--single`` or waiting for its replies to drain is not idle);
* ``time_slice``: the time one client's requests may take in one turn of the event loop.
  uvloop reads a readable socket up to 32 times per turn, so a limit in lines per read does
  not bound one client's time (NOTES, "Fairness"): past its slice, a client's reading waits
  for the next turn, and everyone else is served in between.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from bisect import bisect_left
from collections import _count_elements as count_into  # Counter's C helper, for a plain dict
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from time import perf_counter
from typing import Any

from server.class_file import join_host_port
from server.events import EventHub
from server.pause_timer import PauseTimer, unread_bytes
from server.protocol import Batch, Exchange, ServiceConnection, ServiceSettings, exchanges_of
from server.replies import abbreviate
from server.request_log import RequestLog, request_text
from server.stats import LATENCY_BUCKETS, ServiceStats
from server.turns import Turns

log = logging.getLogger(__name__)

WRITE_HIGH_WATER = 64 * 1024
SLICE = 64  # lines answered per turn of the event loop when a read holds more
# ... and no more lines than fit in this many bytes (at least one line): a line's cost grows
# with its size, so a read of four 64 KiB lines is answered one line per turn.
SLICE_BYTES = 16 * 1024
SHUTDOWN_DRAIN = 0.2  # seconds of service after SIGTERM for requests already in flight
# At shutdown, an unterminated line whose last bytes came less than this ago (or than the
# idle flush, if shorter) may be a line cut by a read, not a request: it is not answered.
CUT_LINE_PAUSE = 0.2
# After the service itself stopped reading a client (flow control, a backlog, a time slice),
# the client's bytes resume only when its kernel hears the window open again, which can take
# a few hundred ms (zero-window probes): that long, silence is not yet the client's.
RESUME_GRACE = 0.5
EVENT_ECHO_LIMIT = 200
FIRST_BUCKET = LATENCY_BUCKETS[0]
REPLY, KIND = itemgetter(0), itemgetter(1)  # of an answer (server.fast_path.Answer)


@dataclass(frozen=True, slots=True)
class ServiceOptions:
    settings: ServiceSettings = ServiceSettings()
    idle_flush: float = 0.05  # seconds of silence after which an unterminated line is answered
    idle_timeout: float = 300.0
    send_timeout: float = 30.0
    single: bool = False
    turn_idle: float = 2.0
    time_slice: float = 0.005  # seconds of one client's requests per turn of the loop


def peer_text(peer: Any) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        return join_host_port(peer[0], peer[1])
    return str(peer)


class ServiceProtocol(asyncio.Protocol):
    """One client connection."""

    def __init__(self, service: TcpService, conn_id: int) -> None:
        self.service = service
        self.id = conn_id
        self.core = ServiceConnection(service.options.settings)
        # Shared objects the hot path uses, looked up once.
        self.stats = service.stats
        self.hub = service.hub
        self.request_log = service.request_log
        self.single = service.turns is not None
        # --single or a shutdown's finishing: a read has more to do (see _after_read)
        self.special = self.single
        self.transport: asyncio.Transport | None = None
        self.peer: tuple = ("?", 0)
        self.label: str | None = None
        self.opened = time.time()
        # Idle timeout: a connection is idle since its last read (last_data) or since the
        # sweeper last saw it waiting for its turn or for its replies to drain.
        self.quiet_since = 0.0  # perf_counter()
        self.last_read = 0.0  # loop time, kept under --single only (turn passing)
        self.writing_paused = False
        self.waiting = False  # --single: not our turn yet; reads are held, not processed
        self.held: list[bytes] = []
        self.eof_pending = False
        self.backlog_scheduled = False
        # Fairness in time (ServiceOptions.time_slice): this turn's time spent on us, and
        # whether we stopped reading until the next turn because of it.
        self.turn_spent = 0.0
        self.slice_watch = service.options.time_slice / 4
        self.turn_reset_scheduled = False
        self.yielded = False
        self.last_data = 0.0  # perf_counter() of the last read (shutdown: a cut line?)
        self.paused_at = -RESUME_GRACE  # perf_counter() when we last stopped reading it
        # Shutdown: bytes that were in the kernel's receive queue when it began, still
        # to be read and answered before the half-close (see finish()).
        self.finishing = False
        self.finish_owed = 0
        self.closing = False
        self.close_reason: str | None = None
        self.flush_timer: PauseTimer | None = None
        self.send_timer: asyncio.TimerHandle | None = None
        self.turn_timer: asyncio.TimerHandle | None = None

    # -- asyncio callbacks ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        service = self.service
        self.peer = transport.get_extra_info("peername") or ("?", 0)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)
        self.label = service.labels.get(self.peer[1]) if service.labels else None
        self.quiet_since = perf_counter()
        self.last_read = service.loop.time()
        service.connections.add(self)
        stats = service.stats
        stats.tcp_open += 1
        stats.tcp_total += 1
        if service.turns is not None and not service.turns.arrive(self):
            self.waiting = True
            transport.pause_reading()
        if service.request_log:
            service.request_log.event("open", self.id, self.peer)
        if service.hub.active:
            event = {"type": "open", "conn": self.id, "peer": peer_text(self.peer),
                     "label": self.label, "state": "waiting" if self.waiting else "served"}
            if self.waiting:
                event["position"] = service.turns.position(self)
            service.hub.publish(event)
        if self.waiting:
            service.turns_changed()
            service.turns.current._arm_turn_check()  # someone waits: idle turns pass on

    def data_received(self, data: bytes) -> None:
        if self.waiting or self.closing:
            if self.closing:  # shut down: our FIN is sent, nothing more can be answered
                return
            # uvloop may deliver once even though reading was paused in connection_made.
            self.held.append(data)
            self.transport.pause_reading()
            return
        # The hot path: every attribute read here costs a request's worth of time at 50
        # connections, so the rare cases hide behind one test each (backlog, special).
        self.last_data = started = perf_counter()
        core = self.core
        spent = self._send(core.read(data, SLICE, SLICE_BYTES), started, len(data))
        if core.backlog:
            self._hold_backlog()
        elif core.framer.held and self.flush_timer is None:
            self._arm_idle_flush()  # it checks at its time whether the line is still unended
        # The time slice (see _spend), inline: a cheap read costs one addition and a test.
        spent += self.turn_spent
        self.turn_spent = spent
        if spent >= self.slice_watch:
            self._slice_used()
        if self.special:
            self._after_read(len(data))

    def _after_read(self, received: int) -> None:
        if self.single:
            self.last_read = self.service.loop.time()
            self._arm_turn_check()
        if self.finishing:
            self._finish_progress(received)

    def eof_received(self) -> bool:
        if self.waiting or self.core.backlog:
            self.eof_pending = True  # answered when the turn comes, or after the backlog
            return True
        self._answer_pending(self.core.read_eof())
        return False  # asyncio closes the transport once the replies are written

    def pause_writing(self) -> None:
        self.writing_paused = True
        self.paused_at = perf_counter()
        self.transport.pause_reading()
        self.send_timer = self.service.loop.call_later(
            self.service.options.send_timeout, self.cut_off, "send timeout")

    def resume_writing(self) -> None:
        self.writing_paused = False
        if self.send_timer is not None:
            self.send_timer.cancel()
            self.send_timer = None
        if self.core.backlog:
            self._hold_backlog()
        elif not self.waiting and not self.closing and not self.yielded:
            self.transport.resume_reading()
            if self.core.framer.held:
                self._arm_idle_flush()

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self.flush_timer, self.send_timer, self.turn_timer):
            if timer is not None:
                timer.cancel()
        service = self.service
        service.connections.discard(self)
        service.stats.tcp_open -= 1
        if service.request_log:
            service.request_log.event("close", self.id, self.peer)
        if service.hub.active:
            reason = self.close_reason or ("client closed" if exc is None else f"error: {exc}")
            service.hub.publish({"type": "close", "conn": self.id, "reason": reason})
        if service.turns is not None:
            following = service.turns.leave(self)
            if following is not None:
                following.start_turn()
            service.turns_changed()
        if not service.connections and service.all_closed is not None:
            service.all_closed.set()

    # -- replies --------------------------------------------------------------------------
    def _send(self, batch: Batch, started: float, received: int) -> float:
        """Write a batch's replies, count them; returns the seconds since ``started``."""
        stats = self.stats
        stats.bytes_in += received
        counts = stats.requests  # a plain dict: get and set cost half of Counter's +=
        answers = batch[1]
        count = len(answers)
        if count == 1:  # the usual read: one request
            out, kind = answers[0]
            counts[kind] = counts.get(kind, 0) + 1
        elif count:  # the loops in C
            out = b"".join(map(REPLY, answers))
            count_into(counts, map(KIND, answers))
        else:  # no line ended in this read
            return perf_counter() - started
        self.transport.write(out)
        stats.bytes_out += len(out)
        elapsed = perf_counter() - started  # ServiceStats.observe_latency, inline:
        stats.latency_counts[0 if elapsed < FIRST_BUCKET
                             else bisect_left(LATENCY_BUCKETS, elapsed)] += count
        stats.latency_sum += elapsed * count
        shown = None  # the batch's Exchanges, made only for someone who shows them
        log = self.request_log
        if log is not None:
            if log.budget > 0:
                shown = exchanges_of(batch)
                log.requests(shown, self.peer, self.id, elapsed)
            else:  # past what a person can read this second: only counted (RequestLog)
                log.skipped += count
        hub = self.hub
        if hub.viewers:  # someone watches the server view
            if hub.request_budget > 0:
                self._publish_requests(shown or exchanges_of(batch))
            else:  # past the rate a person can read: only counted (EventHub)
                hub.skipped += count
        return elapsed

    def _publish_requests(self, exchanges: list[Exchange]) -> None:
        hub = self.service.hub
        shown = hub.take_request_slots(len(exchanges))
        publish = hub.publish
        peer = peer_text(self.peer)
        for e in exchanges[:shown]:
            publish({"type": "request", "conn": self.id, "peer": peer, "label": self.label,
                     "request": request_text(e, EVENT_ECHO_LIMIT),
                     "reply": abbreviate(e.reply.decode("utf-8", "replace").rstrip("\n"),
                                         EVENT_ECHO_LIMIT),
                     "handler": e.handler, "outcome": e.outcome})

    def _answer_pending(self, batch: Batch) -> None:
        if batch[1] and self.transport is not None and not self.transport.is_closing():
            self._send(batch, perf_counter(), 0)

    # -- timers ---------------------------------------------------------------------------
    def _arm_idle_flush(self, delay: float | None = None) -> None:
        """Answer the unterminated line once the client has paused ``idle_flush`` seconds.
        The timer is not moved by every read: when it fires it looks at the last read."""
        if self.flush_timer is None:
            self.flush_timer = PauseTimer(
                self.service.loop, self.service.options.idle_flush if delay is None else delay,
                self._idle_flush)

    def _idle_flush(self) -> None:
        self.flush_timer = None
        if self.core.backlog or not self.core.has_partial:  # the backlog's end re-arms it
            return
        quiet = perf_counter() - self.last_data
        if quiet < self.service.options.idle_flush:  # bytes came since it was armed
            self._arm_idle_flush(self.service.options.idle_flush - quiet)
            return
        if (unread_bytes(self.transport)  # more has come; we have not read it yet
                or perf_counter() - self.paused_at < RESUME_GRACE):  # or may be coming
            self._arm_idle_flush()
            return
        if self.writing_paused:
            # We stopped reading this client ourselves: the rest of its line cannot have
            # come, so this silence is ours, not the client's. resume_writing re-arms.
            return
        self._answer_pending(self.core.read_idle())

    # -- fairness in time -------------------------------------------------------------------
    def _spend(self, spent: float) -> None:
        """Count ``spent`` seconds against this turn's slice; past the slice, stop reading
        until the next turn of the loop. Cheap reads cost one addition: the turn's
        bookkeeping starts only once a quarter of the slice (:attr:`slice_watch`) is used."""
        self.turn_spent += spent
        if self.turn_spent >= self.slice_watch:
            self._slice_used()

    def _slice_used(self) -> None:
        """A quarter of the slice is used: a new turn is due; past the whole slice, stop
        reading until then."""
        if (self.turn_spent >= self.service.options.time_slice and not self.yielded
                and not self.closing):
            self.yielded = True
            self.paused_at = perf_counter()
            self.transport.pause_reading()
        if not self.turn_reset_scheduled:
            self.turn_reset_scheduled = True
            self.service.loop.call_soon(self._new_turn)

    def _new_turn(self) -> None:
        """The loop has served everyone else once: a fresh slice, and reading again."""
        self.turn_reset_scheduled = False
        self.turn_spent = 0.0
        if not self.yielded:
            return
        self.yielded = False
        if (self.transport is None or self.closing or self.waiting or self.writing_paused
                or self.core.backlog or self.transport.is_closing()):
            return  # whoever paused reading for these reasons resumes it
        self.transport.resume_reading()

    # -- a read that held many lines --------------------------------------------------------
    def _hold_backlog(self) -> None:
        """Stop reading; answer the backlog a slice per loop turn while the client reads."""
        self.paused_at = perf_counter()
        self.transport.pause_reading()
        if not self.backlog_scheduled and not self.writing_paused:
            self.backlog_scheduled = True
            self.service.loop.call_soon(self._continue_backlog)

    def _continue_backlog(self) -> None:
        self.backlog_scheduled = False
        if self.closing or self.transport is None or self.transport.is_closing():
            return
        if self.writing_paused:
            return  # resume_writing() calls _hold_backlog() again
        started = perf_counter()
        batch = self.core.read_backlog(SLICE, SLICE_BYTES)
        self._spend(self._send(batch, started, 0))
        if self.core.backlog:
            self._hold_backlog()
            return
        if self.eof_pending:
            self._answer_pending(self.core.read_eof())
            self.transport.close()
            return
        if self.finishing:
            self._finish_progress(0)
            if self.closing:
                return
        if not self.writing_paused and not self.waiting and not self.yielded:
            self.transport.resume_reading()
        if self.core.has_partial:
            self._arm_idle_flush()

    def finish(self) -> None:
        """Shutdown: answer what was received, then half-close (FIN after the replies).

        Received means the kernel has it: bytes still in the socket's receive queue (a
        client we had stopped reading, because it did not read its replies or used up its
        time slice) are read and answered first, up to the count queued now. A line still
        unterminated then is answered only if the client has paused after it; if its last
        bytes have just come it may be a line cut by a read, and is not answered as if it
        were whole. Reading goes on, discarding, until the client closes too, so the
        kernel never resets the connection over unread bytes and the last replies arrive."""
        if self.closing or self.transport is None or self.finishing:
            return
        owed = unread_bytes(self.transport)
        if owed or self.core.backlog:
            self.finishing = self.special = True
            self.finish_owed = owed
            if not self.writing_paused and not self.core.backlog:
                self.yielded = False
                self.transport.resume_reading()
            return
        self._half_close()

    def _finish_progress(self, read: int) -> None:
        self.finish_owed -= read
        if self.finish_owed <= 0 and not self.core.backlog:
            self.finishing = False
            self.special = self.single
            self._half_close()

    def _half_close(self) -> None:
        # The unterminated line is a request only if the client paused after it before the
        # shutdown began: bytes read since (from the receive queue, or still arriving) may
        # end anywhere in a line.
        pause = min(self.service.options.idle_flush, CUT_LINE_PAUSE)
        paused_before = (self.last_data < self.service.shutdown_began
                         and perf_counter() - self.last_data >= pause)
        if self.core.has_partial and not paused_before:
            self._answer_pending(self.core.read_backlog())
            self.core.framer.flush()  # a line cut by a read: dropped, not answered
        else:
            self._answer_pending(self.core.read_eof())
        self.closing = True
        self.close_reason = "shutdown"
        self.service.stats.cut_off["shutdown"] += 1
        if self.transport.can_write_eof():
            self.transport.write_eof()
            if not self.writing_paused:
                self.transport.resume_reading()
        else:
            self.transport.close()

    def cut_off(self, reason: str) -> None:
        """Close a connection the service gives up on (idle, or not reading its replies)."""
        if self.closing or self.transport is None:
            return
        self.closing = True
        self.close_reason = reason
        self.service.stats.cut_off[reason] += 1
        if reason == "send timeout":
            self.transport.abort()  # its replies will never drain: do not wait for them
        else:
            self.transport.close()

    # -- --single -------------------------------------------------------------------------
    def start_turn(self) -> None:
        """Our turn under --single: answer what arrived while waiting, then read on."""
        self.waiting = False
        self.quiet_since = perf_counter()
        self.last_read = self.service.loop.time()
        if self.service.hub.active:
            self.service.hub.publish({"type": "served", "conn": self.id})
        held, self.held = self.held, []
        for data in held:
            self.data_received(data)
        if self.eof_pending:
            self._answer_pending(self.core.read_eof())
            self.transport.close()
            return
        if not self.writing_paused and not self.yielded:
            self.transport.resume_reading()
        self._arm_turn_check()

    def _arm_turn_check(self) -> None:
        turns = self.service.turns
        if self.turn_timer is not None or turns is None or not turns.waiting:
            return
        delay = max(0.0, self.last_read + self.service.options.turn_idle - self.service.loop.time())
        self.turn_timer = self.service.loop.call_later(delay, self._turn_check)

    def _turn_check(self) -> None:
        """Pass the turn on if this connection has been idle ``turn_idle`` seconds."""
        self.turn_timer = None
        turns = self.service.turns
        if turns is None or turns.current is not self or not turns.waiting or self.closing:
            return
        idle_for = self.service.loop.time() - self.last_read
        if idle_for < self.service.options.turn_idle or self.core.has_partial:
            self._arm_turn_check()
            return
        following = turns.pass_turn(self)
        if following is None:
            return
        self.waiting = True
        self.transport.pause_reading()
        following.start_turn()
        self.service.turns_changed()


class TcpService:
    """The listener plus everything its connections share."""

    def __init__(self, options: ServiceOptions, hub: EventHub | None = None,
                 stats: ServiceStats | None = None, request_log: RequestLog | None = None) -> None:
        self.options = options
        self.hub = hub or EventHub()
        self.stats = stats or ServiceStats()
        self.request_log = request_log
        self.connections: set[ServiceProtocol] = set()
        self.turns: Turns[ServiceProtocol] | None = Turns() if options.single else None
        # Local ports of the bridge's own backend connections -> their label in the view.
        self.labels: dict[int, str] = {}
        self.server: asyncio.AbstractServer | None = None
        self.bridge_server: asyncio.AbstractServer | None = None
        self.all_closed: asyncio.Event | None = None
        self.shutdown_began = float("inf")  # perf_counter() when shutdown began
        self._next_id = 0
        self._sweeper: asyncio.Task | None = None
        self.loop: asyncio.AbstractEventLoop

    def _new_connection(self) -> ServiceProtocol:
        self._next_id += 1
        return ServiceProtocol(self, self._next_id)

    async def start(self, host: str, port: int, *, sock: socket.socket | None = None,
                    reuse_port: bool = False) -> tuple[str, int]:
        """Listen; returns the bound address. Raises OSError if it cannot bind.

        With ``reuse_port`` (``--workers``), the kernel may hand a connection to the shared
        port to any process, so this process's bridge gets a private listener of its own
        (:attr:`bridge_address`): a browser's backend connection is served, shown and
        counted by the process that holds its WebSocket."""
        self.loop = asyncio.get_running_loop()
        factory: Callable[[], ServiceProtocol] = self._new_connection
        if sock is not None:
            self.server = await self.loop.create_server(factory, sock=sock, backlog=4096)
        else:
            self.server = await self.loop.create_server(
                factory, host, port, backlog=4096, reuse_address=True,
                reuse_port=reuse_port or None)
        if reuse_port:
            self.bridge_server = await self.loop.create_server(factory, self.address[0], 0)
        self._sweeper = asyncio.create_task(self._sweep_idle())
        return self.address

    @property
    def bridge_address(self) -> tuple[str, int]:
        """Where this process's bridge connects: the shared port, or the private one."""
        if self.bridge_server is None:
            return self.address
        bound = self.bridge_server.sockets[0].getsockname()
        return bound[0], bound[1]

    @property
    def address(self) -> tuple[str, int]:
        assert self.server is not None
        bound = self.server.sockets[0].getsockname()
        return bound[0], bound[1]

    @property
    def serving(self) -> bool:
        return self.server is not None and self.server.is_serving()

    def turns_changed(self) -> None:
        """Tell viewers where each waiting connection now stands."""
        if self.turns is None or not self.hub.active:
            return
        for position, conn in enumerate(self.turns.queue, start=1):
            self.hub.publish({"type": "waiting", "conn": conn.id, "position": position})

    def snapshot(self) -> list[dict[str, Any]]:
        conns = sorted(self.connections, key=lambda c: c.id)
        return [{"conn": c.id, "peer": peer_text(c.peer), "label": c.label,
                 "state": "waiting" if c.waiting else "served",
                 "opened": round(c.opened * 1000, 1)} for c in conns]

    async def _sweep_idle(self) -> None:
        timeout = self.options.idle_timeout
        interval = min(1.0, timeout / 4)
        while True:
            await asyncio.sleep(interval)
            now = perf_counter()
            for conn in list(self.connections):
                if conn.waiting or conn.writing_paused:
                    conn.quiet_since = now
                elif now - max(conn.last_data, conn.quiet_since) >= timeout:
                    conn.cut_off("idle timeout")

    def stop_accepting(self) -> None:
        for server in (self.server, self.bridge_server):
            if server is not None:
                server.close()

    def answer_received(self) -> None:
        """Answer every request already received without closing anything: the bytes held
        by connections waiting their turn under --single (an unterminated line may still be
        completing: :meth:`ServiceProtocol.finish` answers it after the drain). Shutdown
        calls this first, so the bridge can still relay those replies to browsers."""
        self.stop_accepting()
        if self.shutdown_began == float("inf"):
            self.shutdown_began = perf_counter()
        for conn in sorted(self.connections, key=lambda c: c.id):
            if conn.closing or conn.transport is None:
                continue
            if conn.waiting:
                conn.waiting = False
                held, conn.held = conn.held, []
                for data in held:
                    conn.data_received(data)

    async def shutdown(self, grace: float = 3.0) -> None:
        """Answer what was received, close every connection, and wait up to ``grace``
        seconds for the replies to drain.

        Requests still in flight when the signal came (in the kernel's buffers, not yet
        read) are answered too: the connections are served as usual for
        :data:`SHUTDOWN_DRAIN` seconds before each is half-closed."""
        self.answer_received()
        if self._sweeper is not None:
            self._sweeper.cancel()
        self.all_closed = asyncio.Event()
        if self.connections:
            # Long enough for the idle flush to answer a request without LF that is
            # complete (the client paused after it), so finish() sees only cut lines.
            await asyncio.sleep(min(max(SHUTDOWN_DRAIN, self.options.idle_flush + 0.05), 1.0))
        for conn in list(self.connections):
            conn.finish()
        if self.connections:
            try:
                await asyncio.wait_for(self.all_closed.wait(), grace)
            except TimeoutError:
                for conn in list(self.connections):
                    if conn.transport is not None:
                        conn.transport.abort()
        if self.server is not None:
            self.server.close()
            try:
                await asyncio.wait_for(self.server.wait_closed(), 1.0)
            except TimeoutError:
                pass
