"""The end-to-end echo server, in Python, for compare-peers.sh.

    python echo_server.py websockets|picows PORT [--deflate]

Listens on 127.0.0.1:PORT and echoes every message back with its type, until killed.
`--deflate` accepts permessage-deflate (websockets only; picows has no compression).
"""

import asyncio
import sys


async def serve_websockets(port: int, deflate: bool) -> None:
    from websockets.asyncio.server import serve

    async def echo(connection):
        try:
            while True:
                message = await connection.recv(decode=False)
                # recv(decode=False) gives bytes for text frames too: send them back as text.
                await connection.send(message, text=True)
        except Exception:
            return

    # The same DEFLATE settings as ours (15-bit windows, level 6, memLevel 8), not websockets'
    # defaults (12-bit windows, memLevel 5), so that both sides do the same compression work.
    from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
    extensions = [ServerPerMessageDeflateFactory(compress_settings={"level": 6, "memLevel": 8})] if deflate else None
    async with serve(echo, "127.0.0.1", port, compression=None, extensions=extensions,
                     max_size=None, max_queue=None, ping_interval=None):
        print(f"listening on 127.0.0.1:{port}", flush=True)
        await asyncio.Future()


async def serve_picows(port: int) -> None:
    from picows import WSListener, WSMsgType, ws_create_server

    class Echo(WSListener):
        def on_ws_frame(self, transport, frame):
            if frame.msg_type == WSMsgType.CLOSE:
                transport.send_close(frame.get_close_code(), frame.get_close_message())
                transport.disconnect()
            elif frame.msg_type == WSMsgType.PING:
                transport.send_pong(frame.get_payload_as_bytes())
            elif frame.msg_type in (WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION):
                # The workload sends every message as one frame, so a frame is a message.
                transport.send(frame.msg_type, frame.get_payload_as_memoryview(), frame.fin)

    server = await ws_create_server(lambda request: Echo(), "127.0.0.1", port,
                                    max_frame_size=64 << 20)
    print(f"listening on 127.0.0.1:{port}", flush=True)
    await server.serve_forever()


def main() -> None:
    if len(sys.argv) < 3 or sys.argv[1] not in ("websockets", "picows"):
        sys.exit("usage: echo_server.py websockets|picows PORT [--deflate]")
    impl, port, deflate = sys.argv[1], int(sys.argv[2]), "--deflate" in sys.argv[3:]
    if impl == "websockets":
        asyncio.run(serve_websockets(port, deflate))
    else:
        if deflate:
            sys.exit("picows does not implement permessage-deflate")
        asyncio.run(serve_picows(port))


if __name__ == "__main__":
    main()
