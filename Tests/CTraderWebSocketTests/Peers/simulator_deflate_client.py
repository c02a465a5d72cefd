"""An independent client of the simulator's JSON-over-WebSocket API: Python's `websockets` with
its default permessage-deflate offer (which offers `client_max_window_bits` without a value).
It authorizes the application and an account, asks for the symbol list and for the details of
every symbol many times over (a request and an answer of several KiB, larger than a small
window), and checks the answers. Prints `RESULT OK <Sec-WebSocket-Extensions>` or
`RESULT FAIL <reason>`.

Usage: simulator_deflate_client.py URL CLIENT_ID CLIENT_SECRET ACCESS_TOKEN ACCOUNT_ID
"""

import asyncio
import json
import sys

from websockets.asyncio.client import connect


async def main():
    url, client_id, client_secret, token, account = sys.argv[1:6]
    account = int(account)
    try:
        async with connect(url, max_size=16 * 1024 * 1024, open_timeout=30, close_timeout=30) as ws:
            extensions = ws.response.headers.get("Sec-WebSocket-Extensions", "-")

            async def call(payload_type, payload, answer_type):
                message_id = str(payload_type)
                await ws.send(json.dumps({"clientMsgId": message_id, "payloadType": payload_type, "payload": payload}))
                while True:
                    answer = json.loads(await asyncio.wait_for(ws.recv(), 60))
                    if answer.get("clientMsgId") == message_id:
                        if answer["payloadType"] != answer_type:
                            raise AssertionError(f"{payload_type} answered with {answer}")
                        return answer.get("payload", {})

            await call(2100, {"clientId": client_id, "clientSecret": client_secret}, 2101)
            await call(2102, {"ctidTraderAccountId": account, "accessToken": token}, 2103)
            symbols = await call(2114, {"ctidTraderAccountId": account}, 2115)
            ids = [symbol["symbolId"] for symbol in symbols["symbol"]]
            if not ids:
                raise AssertionError("no symbols")
            wanted = (ids * (600 // len(ids) + 1))[:600]
            details = await call(2116, {"ctidTraderAccountId": account, "symbolId": wanted}, 2117)
            got = [symbol["symbolId"] for symbol in details["symbol"]]
            if got != wanted:
                raise AssertionError(f"asked for {len(wanted)} symbols, got {len(got)} (or another order)")
            await ws.close(1000, "done")
        print(f"RESULT OK {extensions}", flush=True)
    except Exception as error:  # noqa: BLE001 - reported to the test
        print(f"RESULT FAIL {type(error).__name__}: {error}", flush=True)


asyncio.run(main())
