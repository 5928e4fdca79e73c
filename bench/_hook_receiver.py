"""A fast webhook receiver for ``bench.webhooks``: HTTP/1.1 with keep-alive on asyncio, ``--processes``
processes on one port (``SO_REUSEPORT``: the kernel spreads the sender's connections over them).

Each request is answered ``200 ok`` at once. It counts requests and distinct ``webhook-id`` values, and
checks the Standard Webhooks signature of every ``--verify-every``-th request with the standard library
(as docs/webhooks.md tells a receiver to). On SIGTERM each process writes its counts to
``<--out>.<n>.json`` and exits.

    python -m bench._hook_receiver --port 18080 --processes 2 --secrets secrets.json --out /tmp/rx
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import multiprocessing
import os
import signal
import socket

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


def _verify(key: bytes, headers: dict, body: bytes) -> bool:
    signed = headers[b"webhook-id"] + b"." + headers[b"webhook-timestamp"] + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
    return any(
        hmac.compare_digest(sig[3:], expected)
        for sig in headers[b"webhook-signature"].split()
        if sig[:3] == b"v1,"
    )


def serve(index: int, port: int, keys: dict, verify_every: int, out: str) -> None:
    counts = {"requests": 0, "verified": 0, "bad_signatures": 0, "paths": {}}
    ids: set[bytes] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                path = lines[0].split(b" ", 2)[1]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(b":")
                    if name:
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get(b"content-length", b"0")))
                counts["requests"] += 1
                counts["paths"][path] = counts["paths"].get(path, 0) + 1
                ids.add(headers.get(b"webhook-id", b""))
                if verify_every and counts["requests"] % verify_every == 0:
                    counts["verified"] += 1
                    key = keys.get(path)
                    if key is None or not _verify(key, headers, body):
                        counts["bad_signatures"] += 1
                writer.write(ANSWER)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(1024)
        server = await asyncio.start_server(handle, sock=sock, backlog=1024)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with server:
            await stop.wait()

    asyncio.run(main())
    result = {
        "process": index,
        "requests": counts["requests"],
        "distinct_ids": len(ids),
        "verified": counts["verified"],
        "bad_signatures": counts["bad_signatures"],
        "paths": {p.decode(): n for p, n in counts["paths"].items()},
        "ids_sha256": hashlib.sha256(b"\n".join(sorted(ids))).hexdigest(),
    }
    with open(f"{out}.{index}.json", "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    with open(f"{out}.{index}.ids", "wb") as fh:
        fh.write(b"\n".join(ids))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--secrets", required=True)
    parser.add_argument("--verify-every", type=int, default=50)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.secrets, encoding="utf-8") as fh:
        keys = {p.encode(): base64.b64decode(s.removeprefix("whsec_")) for p, s in json.load(fh).items()}
    children = [
        multiprocessing.Process(target=serve, args=(i, args.port, keys, args.verify_every, args.out))
        for i in range(args.processes)
    ]
    for child in children:
        child.start()

    def forward(signum, frame):  # noqa: ARG001
        for child in children:
            if child.pid:
                os.kill(child.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    for child in children:
        child.join()


if __name__ == "__main__":
    main()
