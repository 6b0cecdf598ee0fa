"""``--run``'s port watch: the kernel's table read without connecting."""

from __future__ import annotations

import socket

from server.check.supervisor import is_listening, parse_listening

TABLE = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid
   0: 0100007F:3039 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1
   1: 0100007F:3039 0100007F:A1B2 06 00000000:00000000 03:00000F9F 00000000     0        0 0 3
   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2 1
   3: 0100007F:D431 0100007F:3039 01 00000000:00000000 00:00000000 00000000  1000        0 3 1
"""


def test_only_listen_state_counts() -> None:
    assert parse_listening(TABLE) == {12345, 8080}


def test_a_bound_socket_listens_only_after_listen() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        assert not is_listening(port)
        sock.listen(1)
        assert is_listening(port)
    assert not is_listening(port)
