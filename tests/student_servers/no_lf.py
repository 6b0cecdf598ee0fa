# A correct parity server (threads, loop) whose replies end with no LF, and which keeps the
# connection open: the checker must take the pause after the reply as its end.
from _listen import serve_in_threads


def serve(conn):
    with conn:
        while True:
            data = conn.recv(1024)
            if not data:
                return
            try:
                n = int(data.decode())
                conn.sendall(("genap" if n % 2 == 0 else "ganjil").encode())
            except (ValueError, UnicodeDecodeError):
                conn.sendall(b"bukan angka")


serve_in_threads(serve)
