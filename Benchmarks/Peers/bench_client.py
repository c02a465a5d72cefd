"""The end-to-end echo client, in Python, for compare-peers.sh: the workload of ws-bench-client.

    python bench_client.py websockets|picows URL KIND DEFLATE SECONDS WINDOW --payloads DIR

KIND `small` (DIR/small.bin: 256 messages of 200 B) or `large` (DIR/large.bin: 1 MiB), sent as
text; DEFLATE `on`/`off`; WINDOW messages in flight. Prints one JSON line with the keys of
ws-bench-client: impl kind deflate size round_trips seconds msgs_per_s MB_per_s rtt_us_p50
rtt_us_p99.
"""

import asyncio
import json
import sys
import time


def load(kind: str, directory: str) -> list:
    if kind == "large":
        with open(f"{directory}/large.bin", "rb") as f:
            return [f.read()]
    with open(f"{directory}/small.bin", "rb") as f:
        data = f.read()
    return [data[i:i + 200] for i in range(0, len(data), 200)]


def report(impl, kind, deflate, messages, rtts, elapsed) -> None:
    rtts.sort()
    size = len(messages[0])
    n = len(rtts)
    pick = lambda q: rtts[min(n - 1, int(n * q))] if n else 0.0
    print(json.dumps({
        "impl": impl, "kind": kind, "deflate": deflate, "size": size, "round_trips": n,
        "seconds": round(elapsed, 2), "msgs_per_s": round(n / elapsed, 2),
        "MB_per_s": round(n * size / elapsed / 1e6, 2),
        "rtt_us_p50": round(pick(0.50), 2), "rtt_us_p99": round(pick(0.99), 2),
    }))


async def run_websockets(url, messages, deflate, seconds, window):
    from websockets.asyncio.client import connect

    # The same DEFLATE settings as ours (see echo_server.py).
    from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
    extensions = [ClientPerMessageDeflateFactory(compress_settings={"level": 6, "memLevel": 8})] if deflate else None
    async with connect(url, compression=None, extensions=extensions, max_size=None,
                       max_queue=None, ping_interval=None) as ws:
        if deflate and not ws.response.headers.get("Sec-WebSocket-Extensions"):
            sys.exit("the server did not accept permessage-deflate")
        send_times = [0.0] * window
        rtts = []
        sent = received = 0
        start = time.perf_counter()
        deadline = start + seconds

        async def send_next():
            nonlocal sent
            send_times[sent % window] = time.perf_counter()
            await ws.send(messages[sent % len(messages)], text=True)
            sent += 1

        for _ in range(window):
            await send_next()
        while received < sent:
            echo = await ws.recv(decode=False)
            now = time.perf_counter()
            if len(echo) != len(messages[received % len(messages)]):
                sys.exit(f"echo {received} has the wrong size")
            rtts.append((now - send_times[received % window]) * 1e6)
            received += 1
            if now < deadline:
                await send_next()
        return rtts, time.perf_counter() - start


async def run_picows(url, messages, seconds, window):
    from picows import WSListener, WSMsgType, ws_connect

    class Client(WSListener):
        def __init__(self):
            self.send_times = [0.0] * window
            self.rtts = []
            self.sent = self.received = 0
            self.done = asyncio.get_running_loop().create_future()
            self.pending = bytearray()

        def send_next(self, transport):
            self.send_times[self.sent % window] = time.perf_counter()
            transport.send(WSMsgType.TEXT, messages[self.sent % len(messages)])
            self.sent += 1

        def on_ws_connected(self, transport):
            self.start = time.perf_counter()
            self.deadline = self.start + seconds
            for _ in range(window):
                self.send_next(transport)

        def on_ws_frame(self, transport, frame):
            if frame.msg_type not in (WSMsgType.TEXT, WSMsgType.CONTINUATION):
                return
            # Reassemble in case the server fragmented the echo.
            self.pending += frame.get_payload_as_memoryview()
            if not frame.fin:
                return
            now = time.perf_counter()
            if len(self.pending) != len(messages[self.received % len(messages)]):
                sys.exit(f"echo {self.received} has the wrong size")
            self.pending = bytearray()
            self.rtts.append((now - self.send_times[self.received % window]) * 1e6)
            self.received += 1
            if now < self.deadline:
                self.send_next(transport)
            if self.received == self.sent and not self.done.done():
                self.done.set_result(time.perf_counter() - self.start)
                transport.send_close()
                transport.disconnect()

    transport, client = await ws_connect(Client, url, max_frame_size=64 << 20)
    elapsed = await client.done
    await transport.wait_disconnected()
    return client.rtts, elapsed


def main() -> None:
    args = sys.argv[1:]
    if "--payloads" not in args or len(args) != 8:
        sys.exit(__doc__)
    index = args.index("--payloads")
    directory = args[index + 1]
    del args[index:index + 2]
    impl, url, kind, deflate, seconds, window = args
    messages = load(kind, directory)
    if impl == "websockets":
        rtts, elapsed = asyncio.run(run_websockets(url, messages, deflate == "on", float(seconds), int(window)))
    elif impl == "picows":
        if deflate == "on":
            sys.exit("picows does not implement permessage-deflate")
        rtts, elapsed = asyncio.run(run_picows(url, messages, float(seconds), int(window)))
    else:
        sys.exit(__doc__)
    report(impl, kind, deflate, messages, rtts, elapsed)


if __name__ == "__main__":
    main()
