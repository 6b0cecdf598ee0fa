# A correct parity server (threads, loop) whose replies end with no LF, and which keeps the
# connection open: the checker must take the pause after the reply as its end.
import socket
import sys
import threading


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


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", int(sys.argv[1])))
listener.listen(16)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
