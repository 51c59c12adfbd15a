"""haprov's demo web server: answers with its name and the client address it sees."""
import os

from flask import Flask, request

app = Flask(__name__)
NAME = os.environ.get("WEB_NAME", "web")


@app.route("/")
def index():
    return f"{NAME}\nclient {request.remote_addr}\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


@app.route("/health")
def health():
    return "ok\n"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("WEB_PORT", "80")), threaded=True)
