# Correct in every way but one: it converts through float, so 2**64 + 1 comes out even.
from _listen import serve_in_threads


def serve(conn):
    with conn:
        for line in conn.makefile("rb"):
            try:
                n = float(line.decode())
                word = "genap" if n % 2 == 0 else "ganjil"
                conn.sendall(f"angka {line.decode().strip()} merupakan {word}\n".encode())
            except ValueError:
                conn.sendall(b"ERR bukan angka\n")


serve_in_threads(serve)
