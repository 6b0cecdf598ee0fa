# Correct in every way but one: it converts through float, so 2**64 + 1 comes out even.
import socket
import sys
import threading


def serve(conn):
    with conn:
        for line in conn.makefile("rb"):
            try:
                n = float(line.decode())
                word = "genap" if n % 2 == 0 else "ganjil"
                conn.sendall(f"angka {line.decode().strip()} merupakan {word}\n".encode())
            except ValueError:
                conn.sendall(b"ERR bukan angka\n")


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", int(sys.argv[1])))
listener.listen(16)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
