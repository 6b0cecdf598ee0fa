"""Everything the command line sets, in one frozen value handed to each part."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.allow_list import AllowList, ip_literal
from server.protocol import ServiceSettings
from server.tcp_service import ServiceOptions

DEFAULT_TCP_PORT = 12345
DEFAULT_HTTP_PORT = 8080


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    tcp_port: int = DEFAULT_TCP_PORT
    http_port: int = DEFAULT_HTTP_PORT
    backend: tuple[str, int] | None = None  # --backend: bridge only, to a server we did not start
    lang: str = "id"
    default: str = "auto"
    single: bool = False
    max_line: int = 65536
    allow_origins: tuple[str, ...] = ()
    allow_hosts: tuple[str, ...] = ()  # names the web app answers besides IPs and localhost
    idle_flush: float = 0.05
    idle_timeout: float = 300.0
    send_timeout: float = 30.0
    turn_idle: float = 2.0
    reply_timeout: float = 10.0  # a foreign backend's silence while a reply is owed
    time_slice: float = 0.005  # seconds of one client's requests per loop turn
    ws_max_message: int = 0  # 0: derived from max_line (see ws_message_limit)
    heartbeat: float = 20.0
    max_viewers: int = 64  # /events viewers at once
    header_timeout: float = 10.0  # an HTTP connection without a complete request head
    ws_compress: bool = False
    log_format: str = "text"
    quiet: bool = False
    workers: int = 1
    reuse_port: bool = False
    worker: bool = False  # a process started by --workers: prints no listening lines
    # One playground for a class (docs/classroom.md):
    allow: AllowList = field(default_factory=AllowList)  # --allow-target, resolved at start
    max_sessions_per_address: int | None = None  # None: 32 with --allow-target, else no limit
    server_view: str = ""  # "all" | "own"; "": own when listening beyond loopback

    @property
    def session_cap(self) -> int:
        """WebSocket sessions one client address may hold at once; 0 means no limit."""
        if self.max_sessions_per_address is not None:
            return self.max_sessions_per_address
        return 32 if self.allow.enabled else 0

    @property
    def private_view(self) -> bool:
        """Whether a page sees only its own requests' content in the server view: by
        default when others can reach the web app (a shared instance), not on loopback."""
        if self.server_view:
            return self.server_view == "own"
        address = ip_literal(self.host)  # localhost, in any spelling, is 127.0.0.1 here
        return address is None or not address.is_loopback

    @property
    def ws_message_limit(self) -> int:
        """The WebSocket's own maximum message size: well above the line limit, so a long
        line gets ``ERR line_too_long`` and only something far bigger is closed with 1009."""
        return self.ws_max_message or max(1 << 20, 4 * self.max_line)

    @property
    def service_options(self) -> ServiceOptions:
        return ServiceOptions(
            settings=ServiceSettings(lang=self.lang, default=self.default, max_line=self.max_line),
            idle_flush=self.idle_flush, idle_timeout=self.idle_timeout,
            send_timeout=self.send_timeout, single=self.single, turn_idle=self.turn_idle,
            time_slice=self.time_slice)
