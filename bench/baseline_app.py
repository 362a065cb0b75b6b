"""Bare Flask baselines for the HTTP benchmarks (no database, no Redis, no auth).

- ``POST /api/v1/events``: parses the JSON body and answers 202 with a small JSON document of
  the same shape as the service's answer. The ceiling for ``POST /api/v1/events``: whatever
  the service does beyond this (auth, validation, SQL, commit) is its cost.
- ``GET /s/<token>``: renders a Jinja page of about ``BENCH_PAGE_BYTES`` bytes (a survey-like
  form: 11 radio buttons, a textarea, inline CSS, filler text) with autoescaping. The template
  is a string compiled once (``DictLoader``), which is what ``render_template_string`` would do
  if it cached, and what the service's file templates get from Jinja's cache.
- ``GET /healthz``: readiness probe for the bench harness.

Served by ``bench/common.py`` with the same gunicorn settings as the service
(``gunicorn --workers 2 --threads 4 --pythonpath bench baseline_app:app``); ``make_app(size)``
builds it in process for test-client timings.
"""

from __future__ import annotations

import os

from flask import Flask, jsonify, render_template, request
from jinja2 import DictLoader

PAGE = """<!doctype html>
<html lang="{{ locale }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;padding:1rem;color:#1b1b1b;background:#fff}
main{max-width:40rem;margin:0 auto}fieldset{border:0;padding:0;margin:0 0 1rem}
.scale{display:flex;flex-wrap:wrap;gap:.25rem}.scale label{flex:1 0 2.5rem;text-align:center;
border:1px solid #767676;border-radius:.25rem;padding:.5rem 0}
textarea{width:100%;min-height:6rem}button{padding:.75rem 1.5rem;font-size:1rem}
</style>
</head>
<body>
<main>
<h1>{{ title }}</h1>
<form method="post" action="/s/{{ token }}">
<input type="hidden" name="csrf" value="{{ token }}">
<fieldset>
<legend>{{ question }}</legend>
<div class="scale">
{% for n in scores %}<label><input type="radio" name="score" value="{{ n }}"
{%- if n == selected %} checked{% endif %}> {{ n }}</label>
{% endfor %}</div>
</fieldset>
<label for="comment">{{ prompt }}</label>
<textarea id="comment" name="comment" maxlength="5000"></textarea>
<button type="submit">Send</button>
</form>
{% for line in filler %}<p>{{ line }}</p>
{% endfor %}</main>
</body>
</html>
"""

_LINE = "We ask because your answer shapes what we build next & who it is for. <Thank you.>"


def make_app(page_bytes: int | None = None) -> Flask:
    size = page_bytes if page_bytes is not None else int(os.environ.get("BENCH_PAGE_BYTES", "8000"))
    app = Flask(__name__)
    app.jinja_loader = DictLoader({"page.html": PAGE})
    context = {
        "locale": "en",
        "title": "Bench asks",
        "question": "How likely are you to recommend Bench to a friend or colleague?",
        "prompt": "What is the main reason for your score?",
        "scores": range(11),
    }
    # Enough filler paragraphs for the rendered page to reach about `size` bytes.
    template = app.jinja_env.get_template("page.html")
    bare = len(template.render(token="x" * 32, selected=None, filler=[], **context).encode())
    per_line = len(template.render(token="x" * 32, selected=None, filler=[_LINE], **context).encode()) - bare
    filler = [_LINE] * max(0, round((size - bare) / per_line))

    @app.post("/api/v1/events")
    def post_event():
        data = request.get_json()
        if not isinstance(data, dict) or "id" not in data:
            return jsonify(title="Unprocessable", status=422), 422
        return jsonify(id=str(data["id"]), duplicate=False, invitations=[]), 202

    @app.get("/s/<token>")
    def form(token: str):
        selected = request.args.get("score", type=int)
        return render_template("page.html", token=token, selected=selected, filler=filler, **context)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app


app = make_app()
