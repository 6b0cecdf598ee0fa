# Exercise 2 as many students first write it: one recv() per client, in a loop, one at a
# time, replying len(data): it counts bytes, not characters, and counts the line ending.
import socket
import sys

listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", int(sys.argv[1])))
listener.listen(5)
while True:
    conn, _ = listener.accept()
    with conn:
        data = conn.recv(1024)
        if data:
            conn.sendall(f"jumlah karakter: {len(data)}".encode())
