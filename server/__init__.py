"""Client-server playground: the lab sheet's TCP service on port 12345, a WebSocket bridge
and a browser page that make the conversation visible."""

__version__ = "1.0.0"
