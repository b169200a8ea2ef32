"""data/download.py against a local HTTP server on 127.0.0.1 that each test starts (http.server in a
thread): a normal file, a server that stalls, one that drops the connection mid-file (with and
without Range support), one that answers 404, and no server at all. No other address is contacted."""

from __future__ import annotations

import hashlib
import http.server
import threading
import time

import pytest

from cnnrnn.data import download as dl
from cnnrnn.errors import CnnrnnError

PAYLOAD = bytes(range(256)) * 400  # 102,400 bytes
MD5 = hashlib.md5(PAYLOAD).hexdigest()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    # urllib would send even 127.0.0.1 to a proxy named in the environment
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1")


class Server:
    """`mode` decides how GET answers: ok, stall, drop (first request cut, Range honoured), drop_no_range
    (first request cut, later ones ignore Range and send everything), missing (404)."""

    def __init__(self, mode: str):
        self.mode, self.requests, self.release = mode, [], threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def do_GET(self):
                rng = self.headers.get("Range")
                server.requests.append(rng)
                first = len(server.requests) == 1
                if server.mode == "missing":
                    self.send_error(404, "Not Found")
                    return
                start = 0
                if rng and server.mode == "drop":
                    start = int(rng.split("=")[1].rstrip("-"))
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
                else:
                    self.send_response(200)
                body = PAYLOAD[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.mode == "stall":
                    self.wfile.write(body[:1000])
                    self.wfile.flush()
                    server.release.wait(30)  # says nothing more until the test ends
                    return
                if first and server.mode in ("drop", "drop_no_range"):
                    self.wfile.write(body[: len(body) // 3])
                    self.wfile.flush()
                    self.close_connection = True
                    return  # the socket closes with two thirds of the promised bytes missing
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/data/file.bin"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


FAST = dict(connect_timeout=2.0, read_timeout=0.5, attempts=3, backoff=0.01)


def test_normal_file_with_progress(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(dl, "PROGRESS_MIN_BYTES", 0)
    monkeypatch.setattr(dl, "PROGRESS_EVERY", 0.0)
    monkeypatch.setattr(dl, "CHUNK", 16384)
    with Server("ok") as srv:
        path = dl.download(srv.url, tmp_path / "d" / "file.bin", md5=MD5, **FAST)
    assert path.read_bytes() == PAYLOAD and srv.requests == [None]
    out = capsys.readouterr().out
    assert "MB/s" in out and "of 0.1 MB" in out  # bytes, total and rate
    assert [p.name for p in (tmp_path / "d").iterdir()] == ["file.bin"]  # no temporary left


def test_leftover_of_a_killed_download_is_removed(tmp_path, capsys):
    import subprocess
    import sys

    from cnnrnn.utils.io import TMP_MARK

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    ).stdout.strip()
    stale = tmp_path / f".file.{dead}.0badcafe{TMP_MARK}.bin"
    stale.write_bytes(PAYLOAD[:100])  # what SIGKILL leaves mid-download
    with Server("ok") as srv:
        dl.download(srv.url, tmp_path / "file.bin", md5=MD5, **FAST)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.bin"]
    assert "removed" in capsys.readouterr().out


def test_stalled_server_fails_fast_naming_url_and_folder(tmp_path):
    with Server("stall") as srv:
        t0 = time.monotonic()
        with pytest.raises(CnnrnnError) as err:
            dl.download(srv.url, tmp_path / "file.bin", md5=MD5, **{**FAST, "attempts": 2})
        elapsed = time.monotonic() - t0
    msg = str(err.value)
    assert srv.url in msg and "no data for 0.5 s" in msg and "2 attempts" in msg
    assert f"put file.bin in {tmp_path} by hand" in msg
    assert elapsed < 5  # two read timeouts of 0.5 s, not 60 s per file
    assert list(tmp_path.iterdir()) == []  # nothing half-written left


def test_dropped_connection_resumes_with_range(tmp_path, capsys):
    with Server("drop") as srv:
        path = dl.download(srv.url, tmp_path / "file.bin", md5=MD5, **FAST)
    assert path.read_bytes() == PAYLOAD
    assert srv.requests == [None, f"bytes={len(PAYLOAD) // 3}-"]  # the second request asked for the rest only
    assert "resuming at" in capsys.readouterr().out


def test_dropped_connection_restarts_when_server_ignores_range(tmp_path):
    with Server("drop_no_range") as srv:
        path = dl.download(srv.url, tmp_path / "file.bin", md5=MD5, **FAST)
    assert path.read_bytes() == PAYLOAD and len(srv.requests) == 2  # rewritten from zero, not appended


def test_missing_file_is_not_retried(tmp_path):
    with Server("missing") as srv:
        with pytest.raises(CnnrnnError, match="HTTP 404") as err:
            dl.download(srv.url, tmp_path / "file.bin", **FAST)
    assert len(srv.requests) == 1 and str(tmp_path) in str(err.value)


def test_wrong_checksum_leaves_nothing(tmp_path):
    with Server("ok") as srv:
        with pytest.raises(CnnrnnError, match="failed verification"):
            dl.download(srv.url, tmp_path / "file.bin", md5="0" * 32, **FAST)
    assert list(tmp_path.iterdir()) == []


def test_no_server_listening(tmp_path):
    with Server("ok") as srv:
        url = srv.url  # a port that was just free on 127.0.0.1
    with pytest.raises(CnnrnnError) as err:
        dl.download(url, tmp_path / "file.bin", **{**FAST, "attempts": 2})
    assert url in str(err.value) and "by hand" in str(err.value)
