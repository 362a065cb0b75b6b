/* vocservice feedback widget. Embed with:
 * <script src="https://HOST/embed.js" data-workspace="demo" data-survey="sv_..." async></script>
 * To tie answers to a signed-in customer, your backend adds data-contact="ext-id" and
 * data-contact-token="HMAC-SHA256(widget secret, ext-id) as hex"; without a valid token the answer
 * is stored anonymously (a contact named without a token is ignored; a wrong token is refused with
 * a 403, and the widget then keeps the answer anonymously).
 * Shows a small, non-modal card: one tap records the score, then an optional comment finishes it.
 * Never builds markup from strings: all text from the server or the page goes in as textContent. */
(function () {
  "use strict";
  var script = document.currentScript ||
    document.querySelector('script[src*="/embed.js"][data-workspace]');
  if (!script || !window.fetch) return;
  var d = script.dataset, host = new URL(script.src, location.href).origin;
  var ws = d.workspace, surveyId = d.survey;
  if (!ws || !surveyId) return;
  var base = host + "/w/" + encodeURIComponent(ws);
  var KEY = "voc:dismissed:" + ws + ":" + surveyId, DAYS30 = 30 * 864e5;

  function store(set) {
    try {
      if (set) localStorage.setItem(KEY, String(Date.now()));
      else return Number(localStorage.getItem(KEY) || 0);
    } catch (e) { return 0; } /* storage may be blocked: then we simply ask again */
  }
  if (Date.now() - store() < DAYS30) return;

  function el(tag, attrs, text) {
    var n = document.createElement(tag);
    for (var k in attrs) n.setAttribute(k, attrs[k]);
    if (text != null) n.textContent = text;
    return n;
  }
  function send(method, path, body) {
    return fetch(base + path, {
      method: method, mode: "cors", credentials: "omit",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (r) {
      if (!r.ok) { var e = new Error("HTTP " + r.status); e.status = r.status; throw e; }
      return r.json();
    });
  }
  function start(score) {
    var body = { survey_id: surveyId, score: score, contact: contact,
      contact_token: contact ? d.contactToken : null, page_url: location.href.slice(0, 2000), lang: lang };
    return send("POST", "/responses", body).catch(function (e) {
      /* A token the server refuses (a host-side bug, or an expired rotation) must not lose the
         customer's answer: keep it, anonymously, as any page could have sent it. */
      if (e.status !== 403 || !contact) throw e;
      contact = null;
      body.contact = body.contact_token = null;
      return send("POST", "/responses", body);
    });
  }

  var lang = d.lang || navigator.language || "en";
  /* A contact is only sent with its token: the server would ignore it anyway. */
  var contact = (d.contact && d.contactToken) ? d.contact : null;
  fetch(base + "/surveys/" + encodeURIComponent(surveyId) + "?lang=" + encodeURIComponent(lang),
    { mode: "cors", credentials: "omit" })
    .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
    .then(function (cfg) { lang = cfg.lang; render(cfg); })
    .catch(function () { /* the host page must never break because of us */ });

  function render(cfg) {
    var L = cfg.labels, response = null, busy = false;
    var mount = el("div", { "data-vocservice": "" });
    var root = mount.attachShadow ? mount.attachShadow({ mode: "open" }) : mount;
    var style = el("style", {}, [
      ".card{position:fixed;right:1rem;bottom:1rem;z-index:2147483000;width:calc(100% - 2rem);max-width:23rem;",
      "background:#fff;color:#111827;border-radius:.75rem;box-shadow:0 4px 24px rgba(0,0,0,.25);",
      "padding:1rem;font:16px/1.4 system-ui,sans-serif;box-sizing:border-box}",
      "h2{font-size:1rem;margin:0 2rem .75rem 0}",
      ".scale{display:grid;grid-template-columns:repeat(auto-fill,minmax(2.25rem,1fr));gap:.25rem}",
      "button{font:inherit;cursor:pointer;border-radius:.4rem}",
      ".scale button{min-height:2.5rem;background:#fff;color:#111827;border:2px solid #6b7280;font-weight:600}",
      ".scale button[aria-pressed=true]{background:var(--b);color:var(--o);border-color:#111827}",
      ".ends{display:flex;justify-content:space-between;font-size:.8rem;color:#4b5563;margin:.25rem 0 .5rem}",
      ".x{position:absolute;top:.5rem;right:.5rem;width:2.25rem;height:2.25rem;border:0;background:none;",
      "font-size:1.4rem;color:#374151}",
      "label{display:block;font-weight:600;margin:.5rem 0 .25rem}",
      "textarea{width:100%;box-sizing:border-box;min-height:4.5rem;font:inherit;border:2px solid #6b7280;",
      "border-radius:.4rem;padding:.4rem}",
      ".send{margin-top:.5rem;width:100%;min-height:2.75rem;border:0;background:var(--b);color:var(--o);font-weight:700}",
      ":focus-visible{outline:3px solid #111827;outline-offset:2px}",
      ".msg{margin:.5rem 0 0;font-size:.9rem}"
    ].join(""));
    var card = el("div", { "class": "card", role: "dialog", "aria-labelledby": "voc-q", lang: cfg.lang });
    card.style.setProperty("--b", (cfg.brand && cfg.brand.color) || "#3730a3");
    card.style.setProperty("--o", (cfg.brand && cfg.brand.on_color) || "#fff");
    var close = el("button", { type: "button", "class": "x", "aria-label": L.close }, "\u00d7");
    var title = el("h2", { id: "voc-q" }, cfg.question);
    var group = el("div", { "class": "scale", role: "group", "aria-labelledby": "voc-q",
      "aria-describedby": "voc-ends" });
    var ends = el("div", { "class": "ends", id: "voc-ends" });
    ends.appendChild(el("span", {}, cfg.scale[0] + " = " + L.low));
    ends.appendChild(el("span", {}, cfg.scale[1] + " = " + L.high));
    var more = el("div", { hidden: "" });
    var area = el("textarea", { id: "voc-c", maxlength: "10000" });
    var label = el("label", { "for": "voc-c" }, cfg.comment_prompt + " (" + L.optional + ")");
    var sendBtn = el("button", { type: "button", "class": "send" }, L.submit);
    var msg = el("p", { "class": "msg", role: "status" });
    more.appendChild(label); more.appendChild(area); more.appendChild(sendBtn);

    function dismiss() {
      store(true);
      /* closing after a tap still finishes the answer with what we have */
      if (response) send("PATCH", "/responses/" + response.id,
        { edit_token: response.edit_token, final: true }).catch(function () {});
      mount.remove();
    }
    function pick(score, btn) {
      if (busy) return;
      busy = true;
      var req = response
        ? send("PATCH", "/responses/" + response.id, { edit_token: response.edit_token, score: score })
        : start(score).then(function (r) { response = r; });
      req.then(function () {
        var all = group.querySelectorAll("button");
        for (var i = 0; i < all.length; i++) all[i].setAttribute("aria-pressed", String(all[i] === btn));
        if (more.hidden) { more.hidden = false; area.focus(); }
        msg.textContent = "";
      }).catch(function () { msg.textContent = L.error; })
        .then(function () { busy = false; });
    }
    for (var s = cfg.scale[0]; s <= cfg.scale[1]; s++) {
      (function (score) {
        var b = el("button", { type: "button", "aria-pressed": "false" }, String(score));
        b.addEventListener("click", function () { pick(score, b); });
        group.appendChild(b);
      })(s);
    }
    sendBtn.addEventListener("click", function () {
      if (busy || !response) return;
      busy = true;
      send("PATCH", "/responses/" + response.id,
        { edit_token: response.edit_token, comment: area.value, final: true })
        .then(function () {
          store(true);
          response = null;
          while (card.lastChild !== title) card.removeChild(card.lastChild);
          var done = el("p", { "class": "msg", role: "status", tabindex: "-1" }, L.thanks);
          card.appendChild(done); done.focus();
          setTimeout(function () { mount.remove(); }, 4000);
        })
        .catch(function () { msg.textContent = L.error; busy = false; });
    });
    close.addEventListener("click", dismiss);
    card.addEventListener("keydown", function (e) { if (e.key === "Escape") dismiss(); });
    [close, title, group, ends, more, msg].forEach(function (n) { card.appendChild(n); });
    root.appendChild(style); root.appendChild(card);
    document.body.appendChild(mount);
  }
})();
