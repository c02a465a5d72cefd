"""A tiny stand-in for Autobahn's fuzzingserver, for the ws-echo-client test.

Routes: /getCaseCount sends the number of cases as text and closes; /runCase?case=N&agent=A
sends a few messages (text, binary, a fragmented one, a ping in between) and checks the echoes;
/updateReports?agent=A records the call. Prints `READY <port>`, then `CASE <n> PASS|FAIL <why>`
per case and `REPORTS <agent>` when the reports are updated.

Usage: fuzzingserver.py
"""

import asyncio
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import serve

CASES = 3


def case_messages(n):
    return [
        f"case {n}: héllo",
        bytes(range(256)) * n,
        "",
        ["frag", "mented ", f"text {n}"],
        [bytes([n]) * 1000, bytes([n + 1]) * 1000],
    ]


async def run_case(ws, n):
    try:
        for index, message in enumerate(case_messages(n)):
            await ws.send(message)
            if isinstance(message, list):
                expected = "".join(message) if isinstance(message[0], str) else b"".join(message)
            else:
                expected = message
            await asyncio.wait_for(ws.ping(b"ping %d.%d" % (n, index)), 10)
            echo = await asyncio.wait_for(ws.recv(), 10)
            if echo != expected:
                raise AssertionError(f"echo {echo!r:.40} != {expected!r:.40}")
        await ws.close(1000)
        print(f"CASE {n} PASS", flush=True)
    except Exception as error:  # noqa: BLE001 - reported to the test
        print(f"CASE {n} FAIL {type(error).__name__}: {error}", flush=True)


async def handler(ws):
    url = urlsplit(ws.request.path)
    query = parse_qs(url.query)
    if url.path == "/getCaseCount":
        await ws.send(str(CASES))
        await ws.close(1000)
    elif url.path == "/runCase":
        await run_case(ws, int(query["case"][0]))
    elif url.path == "/updateReports":
        print(f"REPORTS {query['agent'][0]}", flush=True)
        await ws.close(1000)
    else:
        await ws.close(1008, "unknown route")


async def main():
    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"READY {port}", flush=True)
        await asyncio.Future()


asyncio.run(main())
