# A correct parity server: threads (several clients at once), line by line (a request
# without LF is answered after a 50 ms pause), errors answered, the connection kept open.
from _listen import serve_in_threads


def answer(conn, line):
    try:
        n = int(line.decode().strip())
        reply = f"angka {n} merupakan {'genap' if n % 2 == 0 else 'ganjil'}\n"
    except (ValueError, UnicodeDecodeError):
        reply = "ERR bukan bilangan bulat\n"
    conn.sendall(reply.encode())


def serve_loop(conn):
    with conn:
        buffer = b""
        conn.settimeout(None)
        while True:
            try:
                chunk = conn.recv(4096)
            except TimeoutError:
                if buffer.strip():
                    answer(conn, buffer)
                buffer = b""
                conn.settimeout(None)
                continue
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                answer(conn, line)
            conn.settimeout(0.05 if buffer else None)


serve_in_threads(serve_loop)
