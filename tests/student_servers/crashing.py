# Serves clients in a loop, one at a time, but int() on anything not a number raises and
# the whole program ends with a traceback.
import socket
import sys

listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", int(sys.argv[1])))
listener.listen(5)
while True:
    conn, _ = listener.accept()
    data = conn.recv(1024)
    if not data:
        conn.close()
        continue
    angka = int(data.decode())
    conn.sendall(("genap" if angka % 2 == 0 else "ganjil").encode())
    conn.close()
