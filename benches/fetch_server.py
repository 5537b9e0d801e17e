#!/usr/bin/env python3
# Copied from ../shared/bench/ (bench_fetch_*.py) so benches/fetch_cycle.sh runs from the repository alone.
"""Static feed server for bench_fetch.sh (127.0.0.1 only).

usage: bench_fetch_server.py FEED_DIR PORT_FILE LOG_FILE [PORT]

Serves FEED_DIR/*.xml at /<name> with HTTP/1.1 keep-alive, many concurrent connections
(asyncio, one process, one thread: no GIL contention), conditional GET (strong ETag +
Last-Modified; If-None-Match wins over If-Modified-Since, as RFC 9110 says) and gzip
(pre-compressed at start) when Accept-Encoding allows it. Bodies are held in memory.

Control endpoints (not counted, not logged as requests):
  GET /_phase?name=X   close the current phase, start phase X; returns the closed phase's stats
  GET /_stats          stats of the current phase (requests, statuses, 304s, gzip, bytes,
                       connections, distinct feeds, server CPU seconds used in the phase)
Each request is logged to LOG_FILE as
  <unix time> <phase> <conn#> <method> <path> <status> <body bytes> <gzip|identity> <cond> "<user agent>"
and phase boundaries as "# phase <name> <unix time>". The log is flushed at each control call.
Binds port 0 unless PORT is given, and writes the bound port to PORT_FILE when ready.
"""
import asyncio
import email.utils
import gzip
import hashlib
import json
import os
import signal
import sys
import time

FEEDS = {}


class Feed:
    __slots__ = ('body', 'gz', 'etag', 'etag_gz', 'lastmod', 'lastmod_ts')


def load(feed_dir):
    for name in sorted(os.listdir(feed_dir)):
        if not name.endswith('.xml'):
            continue
        with open(os.path.join(feed_dir, name), 'rb') as f:
            body = f.read()
        f = Feed()
        f.body = body
        f.gz = gzip.compress(body, 6, mtime=0)
        h = hashlib.sha1(body).hexdigest()[:20]
        f.etag = '"%s"' % h
        f.etag_gz = '"%s-gz"' % h
        # Last-Modified: the feed's lastBuildDate when present, else a fixed date
        ts = 1714996800.0
        i = body.find(b'<lastBuildDate>')
        if i >= 0:
            j = body.find(b'</lastBuildDate>', i)
            try:
                ts = email.utils.parsedate_to_datetime(body[i + 15:j].decode()).timestamp()
            except (TypeError, ValueError):
                pass
        f.lastmod_ts = int(ts)
        f.lastmod = email.utils.formatdate(int(ts), usegmt=True)
        FEEDS['/' + name] = f


class Phase:
    def __init__(self, name):
        self.name = name
        self.t0 = time.time()
        self.cpu0 = time.process_time()
        self.requests = 0
        self.status = {}
        self.gzip = 0
        self.conditional = 0
        self.bytes = 0
        self.conns = 0
        self.feeds_200 = set()
        self.feeds_304 = set()
        self.first = None
        self.last = None
        self.agents = {}

    def stats(self):
        return {'phase': self.name, 'requests': self.requests,
                'status': {str(k): v for k, v in sorted(self.status.items())},
                'n200': self.status.get(200, 0), 'n304': self.status.get(304, 0),
                'gzip': self.gzip, 'conditional': self.conditional, 'body_bytes': self.bytes,
                'connections': self.conns, 'distinct_feeds_200': len(self.feeds_200),
                'distinct_feeds_304': len(self.feeds_304),
                'distinct_feeds': len(self.feeds_200 | self.feeds_304),
                'server_cpu_s': round(time.process_time() - self.cpu0, 4),
                'phase_wall_s': round(time.time() - self.t0, 3),
                'active_s': round((self.last - self.first) if self.first else 0.0, 3),
                'user_agents': self.agents}


PHASE = Phase('start')
LOG = None
CONN_SEQ = 0
_date = [0, '']


def http_date():
    now = int(time.time())
    if now != _date[0]:
        _date[0] = now
        _date[1] = email.utils.formatdate(now, usegmt=True)
    return _date[1]


def accepts_gzip(ae):
    for tok in ae.split(','):
        name, _, params = tok.partition(';')
        name = name.strip().lower()
        if name in ('gzip', 'x-gzip', '*'):
            q = params.strip().replace(' ', '')
            if q.startswith('q='):
                try:
                    if float(q[2:]) == 0.0:
                        continue
                except ValueError:
                    pass
            return True
    return False


def response(status, reason, headers, body, head_only=False):
    lines = ['HTTP/1.1 %d %s' % (status, reason), 'Date: ' + http_date(), 'Server: bench_fetch']
    lines.extend(headers)
    lines.append('Content-Length: %d' % len(body))
    out = ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')
    if body and not head_only:
        out += body
    return out


def control(path, query):
    global PHASE
    LOG.flush()
    if path == '/_phase':
        name = 'unnamed'
        for kv in query.split('&'):
            k, _, v = kv.partition('=')
            if k == 'name' and v:
                name = v
        old = PHASE.stats()
        PHASE = Phase(name)
        LOG.write('# phase %s %.6f\n' % (name, PHASE.t0))
        LOG.flush()
        return old
    return PHASE.stats()


async def handle(reader, writer):
    global CONN_SEQ
    CONN_SEQ += 1
    conn = CONN_SEQ
    PHASE.conns += 1
    try:
        while True:
            try:
                head = await reader.readuntil(b'\r\n\r\n')
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                break
            lines = head.decode('latin-1').split('\r\n')
            parts = lines[0].split(' ')
            if len(parts) != 3:
                writer.write(response(400, 'Bad Request', ['Connection: close'], b''))
                break
            method, target, version = parts
            hdrs = {}
            for line in lines[1:]:
                if line:
                    k, _, v = line.partition(':')
                    hdrs[k.strip().lower()] = v.strip()
            clen = int(hdrs.get('content-length', '0') or 0)
            if clen:
                await reader.readexactly(clen)
            conn_hdr = hdrs.get('connection', '').lower()
            if version == 'HTTP/1.1':
                keep = 'close' not in conn_hdr
            else:
                keep = 'keep-alive' in conn_hdr
            if target.startswith('http://') or target.startswith('https://'):
                target = '/' + target.split('/', 3)[3] if target.count('/') >= 3 else '/'
            path, _, query = target.partition('?')
            if path in ('/_phase', '/_stats'):
                body = json.dumps(control(path, query)).encode()
                writer.write(response(200, 'OK', ['Content-Type: application/json',
                                                  'Connection: ' + ('keep-alive' if keep else 'close')], body))
                await writer.drain()
                if not keep:
                    break
                continue
            now = time.time()
            ph = PHASE
            ph.requests += 1
            if ph.first is None:
                ph.first = now
            ph.last = now
            ua = hdrs.get('user-agent', '-')
            ph.agents[ua] = ph.agents.get(ua, 0) + 1
            f = FEEDS.get(path)
            enc = 'identity'
            cond = '-'
            ka = 'Connection: ' + ('keep-alive' if keep else 'close')
            if method not in ('GET', 'HEAD'):
                status, out = 405, response(405, 'Method Not Allowed', ['Allow: GET, HEAD', ka], b'')
                nbody = 0
            elif f is None:
                status, out = 404, response(404, 'Not Found', ['Content-Type: text/plain', ka], b'not found\n',
                                            method == 'HEAD')
                nbody = 10
            else:
                inm = hdrs.get('if-none-match')
                ims = hdrs.get('if-modified-since')
                not_modified = False
                if inm is not None:
                    cond = 'inm'
                    for tag in inm.split(','):
                        tag = tag.strip()
                        if tag.startswith('W/'):
                            tag = tag[2:]
                        if tag == '*' or tag == f.etag or tag == f.etag_gz:
                            not_modified = True
                            break
                elif ims is not None:
                    cond = 'ims'
                    if ims == f.lastmod:
                        not_modified = True
                    else:
                        try:
                            not_modified = f.lastmod_ts <= email.utils.parsedate_to_datetime(ims).timestamp()
                        except (TypeError, ValueError, IndexError):
                            pass
                if cond != '-':
                    ph.conditional += 1
                use_gz = accepts_gzip(hdrs.get('accept-encoding', ''))
                etag = f.etag_gz if use_gz else f.etag
                common = ['ETag: ' + etag, 'Last-Modified: ' + f.lastmod, 'Vary: Accept-Encoding',
                          'Cache-Control: max-age=0', ka]
                if not_modified:
                    status, out, nbody = 304, response(304, 'Not Modified', common, b''), 0
                    ph.feeds_304.add(path)
                else:
                    status = 200
                    body = f.gz if use_gz else f.body
                    if use_gz:
                        enc = 'gzip'
                        ph.gzip += 1
                        common.append('Content-Encoding: gzip')
                    out = response(200, 'OK', ['Content-Type: application/rss+xml; charset=utf-8'] + common,
                                   body, method == 'HEAD')
                    nbody = 0 if method == 'HEAD' else len(body)
                    ph.feeds_200.add(path)
            ph.status[status] = ph.status.get(status, 0) + 1
            ph.bytes += nbody
            LOG.write('%.6f %s %d %s %s %d %d %s %s "%s"\n' % (now, ph.name, conn, method, path, status, nbody,
                                                             enc, cond, ua.replace('"', "'")))
            writer.write(out)
            if writer.transport.get_write_buffer_size() > 1 << 18:
                await writer.drain()
            if not keep:
                break
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    global LOG
    feed_dir, port_file, log_file = sys.argv[1], sys.argv[2], sys.argv[3]
    port = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    load(feed_dir)
    LOG = open(log_file, 'a', buffering=1 << 20)
    server = await asyncio.start_server(handle, '127.0.0.1', port, backlog=1024, reuse_address=True)
    bound = server.sockets[0].getsockname()[1]
    tmp = port_file + '.tmp'
    with open(tmp, 'w') as f:
        f.write('%d\n' % bound)
    os.replace(tmp, port_file)
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with server:
        await stop
    LOG.flush()


if __name__ == '__main__':
    asyncio.run(main())
