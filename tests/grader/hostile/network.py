# Connects to a server the test runs on the host's loopback; a success would show in the verdict.
import socket
try:
    socket.create_connection(("127.0.0.1", __PORT__), timeout=2).sendall(b"exfiltrated")
    raise RuntimeError("CONNECTED")
except OSError:
    pass
