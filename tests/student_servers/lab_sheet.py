# The lab sheet's server exactly as printed, with only its syntax mended
# (`server socket.listen` -> `server_socket.listen`, `\%` -> `%`) and the port taken from
# argv (or PORT) instead of 12345. Its bugs are KEPT: the `else` line is missing, so both
# response lines run and it always says "ganjil"; int() raises on anything not a number;
# it serves one client and exits; it sets no SO_REUSEADDR.
import os
import socket
import sys

server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
HOST = 'localhost'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("PORT", "12345"))
server_socket.bind((HOST, PORT))
server_socket.listen(1)
print("Waiting...")
client_socket, client_address = server_socket.accept()
data = client_socket.recv(1024)
angka = int(data.decode())
print("Request dari client :", angka, "IP client :", client_address)
if angka % 2 == 0:
  response = "angka" + str(angka) + " merupakan genap"
  response = "angka" + str(angka) + " merupakan ganjil"
client_socket.sendall(response.encode())
client_socket.close()
server_socket.close()
