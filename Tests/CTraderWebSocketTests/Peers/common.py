"""Shared option parsing for the WebSocket test peers."""

import ssl

from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)

# Modes: none | default | no_context | window
MODES = ("none", "default", "no_context", "window")


def server_extensions(mode):
    if mode == "none":
        return []
    if mode == "default":
        return [ServerPerMessageDeflateFactory()]
    if mode == "no_context":
        return [ServerPerMessageDeflateFactory(server_no_context_takeover=True, client_no_context_takeover=True)]
    if mode == "window":
        return [ServerPerMessageDeflateFactory(server_max_window_bits=10, client_max_window_bits=11)]
    raise SystemExit(f"unknown mode {mode}")


def client_extensions(mode):
    if mode == "none":
        return []
    if mode == "default":
        return [ClientPerMessageDeflateFactory()]
    if mode == "no_context":
        return [ClientPerMessageDeflateFactory(server_no_context_takeover=True, client_no_context_takeover=True)]
    if mode == "window":
        return [ClientPerMessageDeflateFactory(server_max_window_bits=10, client_max_window_bits=11)]
    raise SystemExit(f"unknown mode {mode}")


def server_ssl(cert, key):
    if not cert:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def client_ssl(cafile):
    if not cafile:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile)
    return context
