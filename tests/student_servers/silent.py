# Accepts every connection and never answers, never closes.
from _listen import serve_in_threads


def serve(conn):
    while conn.recv(65536):  # read and never answer; the connection stays open
        pass


serve_in_threads(serve)
