# What every student server here starts with, so each file shows only what differs: a
# listening socket on 127.0.0.1 and the port from argv (SO_REUSEADDR, unlike the lab sheet's).
import socket
import sys
import threading


def listener(backlog: int = 16) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", int(sys.argv[1])))
    sock.listen(backlog)
    return sock


def serve_in_threads(serve) -> None:
    """Accept for ever; each client is served by ``serve(conn)`` in a thread of its own."""
    sock = listener()
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()
