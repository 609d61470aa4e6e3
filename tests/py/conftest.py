"""A real ypad server (the binary in YPAD_BIN) on a loopback port with a fresh data directory."""
import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
YPAD_BIN = os.environ.get("YPAD_BIN", str(ROOT / "target" / "debug" / "ypad"))


class Server:
    def __init__(self, url, data_dir, proc):
        self.url = url
        self.data_dir = Path(data_dir)
        self.proc = proc

    @property
    def api_key(self):
        return (self.data_dir / "APIKEY.txt").read_text().strip()


@pytest.fixture(scope="module")
def ypad():
    with tempfile.TemporaryDirectory() as data:
        proc = subprocess.Popen(
            [YPAD_BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", data],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        url = None
        for line in proc.stdout:
            m = re.search(r"listening on (http://127\.0\.0\.1:\d+)/", line)
            if m:
                url = m.group(1)
                break
        assert url, "ypad did not print its URL"
        try:
            yield Server(url, data, proc)
        finally:
            proc.terminate()
            assert proc.wait(timeout=15) == 0, "ypad exits 0 on SIGTERM"
