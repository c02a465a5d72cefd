"""A client that checks an echo server: messages of 0 B, 125 B, 64 KiB and 4 MiB, text and
binary, whole and fragmented, and a ping; then closes with 1000. Prints
`RESULT OK <extensions>` or `RESULT FAIL <reason>`.

Usage: echo_client.py URL MODE [CAFILE]
"""

import asyncio
import sys

from websockets.asyncio.client import connect

from common import client_extensions, client_ssl

SIZES = (0, 125, 64 * 1024, 4 * 1024 * 1024)


def payload(size, seed):
    return bytes((i * 7 + seed) % 251 for i in range(min(size, 251 * 2))) * (size // 502 + 1)


async def main():
    url, mode = sys.argv[1], sys.argv[2]
    cafile = sys.argv[3] if len(sys.argv) > 3 else None
    try:
        async with connect(
            url, compression=None, extensions=client_extensions(mode),
            max_size=64 * 1024 * 1024, ssl=client_ssl(cafile), open_timeout=30, close_timeout=30,
        ) as ws:
            extensions = ws.response.headers.get("Sec-WebSocket-Extensions", "-")
            for seed, size in enumerate(SIZES):
                data = payload(size, seed)[:size]
                text = "é" * (size // 2) + "x" * (size % 2)
                for message in (data, text):
                    await ws.send(message)
                    echo = await asyncio.wait_for(ws.recv(), 60)
                    if echo != message:
                        raise AssertionError(f"echo of {type(message).__name__} {size} differs")
                # Fragmented, in 4 pieces (or 1 for an empty message).
                pieces = [data[i:i + max(1, size // 4 + 1)] for i in range(0, max(size, 1), max(1, size // 4 + 1))] if size else [b""]
                await ws.send(pieces)
                echo = await asyncio.wait_for(ws.recv(), 60)
                if echo != data:
                    raise AssertionError(f"echo of fragmented {size} differs")
            pong = await ws.ping(b"are you there")
            await asyncio.wait_for(pong, 30)
            await ws.close(1000, "done")
            if ws.close_code != 1000:
                raise AssertionError(f"close code {ws.close_code}")
        print(f"RESULT OK {extensions}", flush=True)
    except Exception as error:  # noqa: BLE001 - reported to the test
        print(f"RESULT FAIL {type(error).__name__}: {error}", flush=True)


asyncio.run(main())
