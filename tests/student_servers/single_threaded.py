# One client at a time, in a loop (as the lab sheet means it), and robust: a parity server a
# careful student writes without threads. Reads one recv() per client.
from _listen import listener as listen_on_argv_port

listener = listen_on_argv_port(5)
print("Waiting...", flush=True)
while True:
    conn, address = listener.accept()
    with conn:
        data = conn.recv(1024)
        if not data:
            continue
        try:
            angka = int(data.decode())
        except (ValueError, UnicodeDecodeError):
            conn.sendall(b"bukan angka")
            continue
        if angka % 2 == 0:
            conn.sendall(f"angka {angka} merupakan genap".encode())
        else:
            conn.sendall(f"angka {angka} merupakan ganjil".encode())
