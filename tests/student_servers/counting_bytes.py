# Exercise 2 as many students first write it: one recv() per client, in a loop, one at a
# time, replying len(data): it counts bytes, not characters, and counts the line ending.
from _listen import listener as listen_on_argv_port

listener = listen_on_argv_port(5)
while True:
    conn, _ = listener.accept()
    with conn:
        data = conn.recv(1024)
        if data:
            conn.sendall(f"jumlah karakter: {len(data)}".encode())
