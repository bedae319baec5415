"""Headless Chromium driven through the Chrome DevTools Protocol over a
pipe (--remote-debugging-pipe), so the browser opens no debugging port at
all. Commands go to the browser's file descriptor 3 and replies come back
on its descriptor 4, each a JSON object ended by a NUL byte.

Only the Python standard library is used, and no browser is downloaded:
the program is Debian's /usr/bin/chromium.
"""

import base64
import fcntl
import json
import os
import shutil
import subprocess
import threading
import time

# The flags keep the browser from reaching any host of its own accord.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--no-default-browser-check",
    "--disable-extensions", "--disable-default-apps",
    "--remote-debugging-pipe", "--window-size=1280,1000",
]


class BrowserError(Exception):
    """The browser failed or a DevTools command returned an error."""


def find_chromium():
    """Returns the path of Debian's chromium, or None."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless Chromium process with one page."""

    def __init__(self, program, profile_dir, log_path):
        self.next_id = 0
        self.replies = {}
        self.lock = threading.Condition()
        self.closed = False
        commands_r, self.commands_w = os.pipe()
        self.replies_r, replies_w = os.pipe()

        def child_fds():
            # Move both ends above 10 first, so that dup2 onto 3 and 4
            # cannot overwrite one of them.
            a = fcntl.fcntl(commands_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(replies_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(
            [program, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT, close_fds=False,
            preexec_fn=child_fds, start_new_session=True)
        os.close(commands_r)
        os.close(replies_w)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        target = self.call("Target.createTarget", {"url": "about:blank"})
        attached = self.call("Target.attachToTarget",
                             {"targetId": target["targetId"],
                              "flatten": True})
        self.session = attached["sessionId"]
        self.call("Page.enable", session=True)
        self.call("Runtime.enable", session=True)

    def _read(self):
        buffer = b""
        while True:
            chunk = os.read(self.replies_r, 65536)
            if not chunk:
                break
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" in message:
                    with self.lock:
                        self.replies[message["id"]] = message
                        self.lock.notify_all()
        with self.lock:
            self.closed = True
            self.lock.notify_all()

    def call(self, method, params=None, session=False, timeout=30):
        """Sends one command and returns its result."""
        with self.lock:
            self.next_id += 1
            ident = self.next_id
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self.commands_w, json.dumps(message).encode() + b"\0")
        deadline = time.time() + timeout
        with self.lock:
            while ident not in self.replies:
                if self.closed:
                    raise BrowserError(f"the browser exited during {method}")
                remaining = deadline - time.time()
                if remaining <= 0:
                    raise BrowserError(f"{method} timed out after {timeout} s")
                self.lock.wait(remaining)
            reply = self.replies.pop(ident)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def evaluate(self, expression):
        """Evaluates a JavaScript expression in the page and returns its
        value (awaiting a promise)."""
        result = self.call("Runtime.evaluate",
                           {"expression": expression, "returnByValue": True,
                            "awaitPromise": True}, session=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def navigate(self, url):
        self.call("Page.navigate", {"url": url}, session=True)

    def wait_for(self, expression, timeout=20):
        """Waits until expression is truthy; returns its value."""
        deadline = time.time() + timeout
        value = None
        while time.time() < deadline:
            try:
                value = self.evaluate(expression)
            except BrowserError:
                value = None
            if value:
                return value
            time.sleep(0.05)
        raise BrowserError(f"still false after {timeout} s: {expression}")

    def insert_text(self, text):
        """Types text into the focused element."""
        self.call("Input.insertText", {"text": text}, session=True)

    def screenshot(self, path):
        result = self.call("Page.captureScreenshot", {"format": "png"},
                           session=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(result["data"]))

    def close(self):
        try:
            self.call("Browser.close", timeout=10)
        except BrowserError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.commands_w)
        os.close(self.replies_r)
        self.log.close()
