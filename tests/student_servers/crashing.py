# Serves clients in a loop, one at a time, but int() on anything not a number raises and
# the whole program ends with a traceback.
from _listen import listener as listen_on_argv_port

listener = listen_on_argv_port(5)
while True:
    conn, _ = listener.accept()
    data = conn.recv(1024)
    if not data:
        conn.close()
        continue
    angka = int(data.decode())
    conn.sendall(("genap" if angka % 2 == 0 else "ganjil").encode())
    conn.close()
