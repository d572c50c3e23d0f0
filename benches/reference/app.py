"""The reference a developer would write instead of Switchboard's listener, for the ingest
benchmark's comparison (scripts/bench.sh): Flask, the official `twilio` RequestValidator,
and Python's sqlite3 storing each inbound SMS durably (WAL, synchronous=FULL, one commit
per request, idempotent on MessageSid) before answering 200 with empty TwiML.

    python benches/reference/app.py --port 0 --db /tmp/ref.db --public-url URL --token TOKEN

Prints `listening on http://127.0.0.1:PORT` once ready. Served by Flask's built-in
threaded server: what a tutorial gets you, which is the point of the comparison.
"""

import argparse
import socket
import sqlite3
import threading

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    from_number TEXT NOT NULL,
    to_number TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
"""


def create_app(db_path, public_url, token):
    app = Flask(__name__)
    validator = RequestValidator(token)
    local = threading.local()

    def db():
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(db_path, timeout=5)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            local.conn = conn
        return conn

    setup = sqlite3.connect(db_path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.executescript(SCHEMA)
    setup.close()

    @app.post("/twilio/sms")
    def inbound_sms():
        url = public_url + request.full_path.rstrip("?")
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(url, request.form, signature):
            abort(403)
        sid = request.form.get("MessageSid")
        sender = request.form.get("From")
        to = request.form.get("To")
        if not sid or not sender or not to:
            abort(400)
        conn = db()
        with conn:  # one transaction, committed before we answer
            conn.execute(
                "INSERT OR IGNORE INTO messages (sid, from_number, to_number, body) VALUES (?, ?, ?, ?)",
                (sid, sender, to, request.form.get("Body", "")),
            )
        return Response('<?xml version="1.0" encoding="UTF-8"?><Response/>', mimetype="text/xml")

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--db", required=True)
    p.add_argument("--public-url", required=True)
    p.add_argument("--token", required=True)
    a = p.parse_args()
    port = a.port
    if port == 0:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
    app = create_app(a.db, a.public_url.rstrip("/"), a.token)
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    app.run(host="127.0.0.1", port=port, threaded=True)


if __name__ == "__main__":
    main()
