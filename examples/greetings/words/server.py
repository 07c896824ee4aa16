"""words: the greeting word, from Python's standard library only.

Reads its word from the environment (a ConfigMap on the cluster and locally), asks greeter for the
punctuation at the cluster URL http://greeter:8080 (urllib honours HTTP_PROXY, so locally the
request goes through the mesh as on a cluster), and says which pod answered.
"""

import argparse
import json
import os
import signal
import sys
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GREETER_URL = os.environ.get("GREETER_URL", "http://greeter:8080")


def pod():
    return {
        "name": os.environ.get("POD_NAME", ""),
        "namespace": os.environ.get("POD_NAMESPACE", ""),
        "ip": os.environ.get("POD_IP", ""),
        "version": os.environ.get("APP_VERSION", ""),
    }


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            return self.reply(200, {"status": "UP"})
        if self.path == "/word":
            try:
                with urllib.request.urlopen(f"{GREETER_URL}/punctuation", timeout=5) as answer:
                    punctuation = answer.read().decode()
            except OSError as error:
                return self.reply(502, {"error": f"greeter: {error}"})
            return self.reply(
                200,
                {
                    "word": os.environ.get("GREETING_WORD", "Hello"),
                    "punctuation": punctuation,
                    "pod": pod(),
                    # Set by the words VirtualService: proof that the call came through the mesh.
                    "route": self.headers.get("x-greetings-route", ""),
                },
            )
        return self.reply(404, {"error": f"no route for {self.path}"})

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        sys.stdout.write(f"{self.command} {self.path} {args[1] if len(args) > 1 else ''}\n")


def main():
    parser = argparse.ArgumentParser(description="The words service of the greetings example.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"words listening on {args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
