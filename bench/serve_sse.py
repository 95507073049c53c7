#!/usr/bin/env python3
"""serve_sse.py N PORT TOKEN SECONDS - holds N live-update streams (GET /api/v1/stream) of a
running `watchpost serve --insecure-http` from 127.0.0.2.. (60 per address: the per-IP limit is
64), waits SECONDS (record a decision meanwhile), then counts the streams that got the
"decision" event. Read the server's VmHWM from /proc/PID/status. Stdlib only."""
N=int(sys.argv[1]); port=int(sys.argv[2]); tok=sys.argv[3]
async def one(i):
    src='127.0.0.%d' % (2 + i // 60)
    r, w = await asyncio.open_connection('127.0.0.1', port, local_addr=(src, 0))
    w.write(f'GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}\r\n\r\n'.encode())
    await w.drain()
    head = await r.readuntil(b'\r\n\r\n')
    ok = b' 200 ' in head.split(b'\r\n')[0]
    return (r, w, ok)
async def main():
    conns = await asyncio.gather(*[one(i) for i in range(N)])
    print('open', sum(1 for c in conns if c[2]), flush=True)
    await asyncio.sleep(float(sys.argv[4]))
    got = 0
    for r, w, ok in conns:
        try:
            data = await asyncio.wait_for(r.read(65536), 0.05)
            if b'event: decision' in data: got += 1
        except Exception: pass
    print('saw decision', got, flush=True)
asyncio.run(main())
