# Accepts every connection and never answers, never closes.
import socket
import sys
import threading

listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", int(sys.argv[1])))
listener.listen(64)
held = []
while True:
    conn, _ = listener.accept()
    held.append(conn)
    threading.Thread(target=lambda c=conn: [c.recv(65536) for _ in iter(int, 1)],
                     daemon=True).start()
