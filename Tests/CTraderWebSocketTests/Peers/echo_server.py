"""An echo server: every message comes back unchanged; binary messages over 32 KiB come back
fragmented in 16 KiB frames. Prints `READY <port>` once listening, `OPEN <user-agent>` as each
connection opens, and `CLOSED <code> <extensions>` after each connection ends.

Usage: echo_server.py MODE [CERT KEY]
"""

import asyncio
import sys

from websockets.asyncio.server import serve

from common import server_extensions, server_ssl

FRAGMENT = 16 * 1024


async def handler(ws):
    extensions = ws.request.headers.get("Sec-WebSocket-Extensions", "") if ws.request else ""
    agent = ws.request.headers.get("User-Agent", "") if ws.request else ""
    print(f"OPEN {agent or '-'}", flush=True)
    try:
        async for message in ws:
            if isinstance(message, bytes) and len(message) > 2 * FRAGMENT:
                await ws.send([message[i:i + FRAGMENT] for i in range(0, len(message), FRAGMENT)])
            else:
                await ws.send(message)
    finally:
        print(f"CLOSED {ws.close_code} {extensions or '-'}", flush=True)


async def main():
    mode = sys.argv[1]
    cert, key = (sys.argv[2], sys.argv[3]) if len(sys.argv) > 3 else (None, None)
    async with serve(
        handler, "127.0.0.1", 0,
        compression=None, extensions=server_extensions(mode),
        max_size=64 * 1024 * 1024, ssl=server_ssl(cert, key),
    ) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"READY {port}", flush=True)
        await asyncio.Future()


asyncio.run(main())
