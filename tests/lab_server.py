"""A student's server as the lab sheet teaches it, run as a program by the tests: single
threaded, ``listen(1)``, one ``recv(1024)``, ``int(data.decode())`` (a connection that
closes without data, or anything not a number, crashes it with a traceback), a reply without
LF, then ``close``. Not the project's code: the foreign server the page must not hurt.

    python tests/lab_server.py parity|length [--loop]

It prints ``port N`` once listening (port 0: a free one), ``accepted ('127.0.0.1', P)`` for
every connection it accepts and the lab sheet's ``Request dari client : ...`` line. Without
``--loop`` it serves one client and exits, as the sheet's server does; with it, one client
after another, still one at a time."""

import socket
import sys


def main() -> None:
    exercise = sys.argv[1]
    loop = "--loop" in sys.argv
    server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server_socket.bind(("127.0.0.1", 0))
    server_socket.listen(1)
    print("port", server_socket.getsockname()[1], flush=True)
    while True:
        client_socket, client_address = server_socket.accept()
        print("accepted", client_address, flush=True)
        data = client_socket.recv(1024)
        if exercise == "parity":
            angka = int(data.decode())
            print("Request dari client :", angka, "IP client :", client_address, flush=True)
            word = "genap" if angka % 2 == 0 else "ganjil"
            response = "angka " + str(angka) + " merupakan " + word
        else:
            pesan = data.decode()
            print("Request dari client :", pesan, "IP client :", client_address, flush=True)
            response = str(len(pesan))
        client_socket.sendall(response.encode())
        client_socket.close()
        if not loop:
            break
    server_socket.close()


if __name__ == "__main__":
    main()
