"""Small student-style servers for the checker's socket tests: each is a program run as
``python FILE PORT`` (the port from argv, so tests use free ports), written the way a
student would write it, bugs included on purpose."""
