// The dashboard's client script, served at /assets/live.js (CSP allows scripts from 'self' only, nothing inline):
// the live parts only — a repo's event log over the WebSocket watch, a running job's progress, copy buttons.
// Everything else works without it. Text from the server is set with textContent, never parsed as HTML.

export const LIVE_SCRIPT = `"use strict";
(function () {
  function cell(tr, text, cls) { var td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); return td; }
  function when(ms) { return ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) + "Z" : ""; }

  // A repo's event log, oldest first: once the page is caught up, new events arrive over the watch at the end.
  document.querySelectorAll("[data-watch]").forEach(function (table) {
    var body = table.querySelector("tbody");
    var status = document.getElementById(table.getAttribute("data-status") || "");
    var after = table.getAttribute("data-after") || "";
    var seen = {};
    body.querySelectorAll("tr[data-id]").forEach(function (tr) { seen[tr.getAttribute("data-id")] = true; });
    var tries = 0;
    function connect() {
      var url = new URL(table.getAttribute("data-watch"), location.href);
      url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
      if (after) url.searchParams.set("after", after);
      var ws = new WebSocket(url);
      ws.onopen = function () { tries = 0; if (status) status.textContent = "live"; };
      ws.onmessage = function (m) {
        var msg; try { msg = JSON.parse(m.data); } catch (e) { return; }
        if (msg.type !== "event" || seen[msg.event.id]) return;
        var e = msg.event; seen[e.id] = true; after = e.id;
        var tr = document.createElement("tr"); tr.setAttribute("data-id", e.id); tr.className = "fresh";
        cell(tr, when(e.at), "mono"); cell(tr, e.type + " " + e.kind); cell(tr, e.summary || summary(e));
        cell(tr, (e.jobs || []).map(function (j) { return j.kind; }).join(", "));
        body.appendChild(tr);
        while (body.children.length > 200) body.removeChild(body.firstChild);
      };
      ws.onclose = function () {
        if (status) status.textContent = "reconnecting";
        setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, tries++)));
      };
    }
    function summary(e) { var d = e.data || {}; return [d.ref, d.after ? String(d.after).slice(0, 12) : "", d.action || ""].filter(Boolean).join(" "); }
    connect();
  });

  // A running job: its progress and state, polled from the JSON API until it settles.
  document.querySelectorAll("[data-job]").forEach(function (box) {
    var id = box.getAttribute("data-job");
    function set(name, text) { var el = box.querySelector("[data-field=" + name + "]"); if (el) el.textContent = text; }
    function tick() {
      fetch("/api/jobs/" + encodeURIComponent(id), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (!body) return setTimeout(tick, 5000);
          var job = body.job, p = job.progress;
          set("status", job.status); set("phase", job.phase);
          if (p) {
            var bar = box.querySelector("progress");
            if (bar) { if (p.total) { bar.max = p.total; bar.value = p.done; } else bar.removeAttribute("value"); }
            set("step", p.phase); set("done", String(p.done) + (p.total ? " / " + p.total : "") + (p.unit ? " " + p.unit : ""));
            var r = rate(p); set("rate", r ? r.toFixed(1) + " " + (p.unit || "") + "/s" : "");
            set("eta", r && p.total ? Math.max(0, Math.round((p.total - p.done) / r)) + " s" : "");
            set("since", "since " + when(p.since));
          }
          if (job.phase === "settled") { set("live", "finished — reload for the whole record"); return; }
          setTimeout(tick, 1000);
        })
        .catch(function () { setTimeout(tick, 5000); });
    }
    function rate(p) { var s = (p.at - p.since) / 1000; return s > 0 ? (p.done - p.sinceDone) / s : 0; }
    tick();
  });

  // Copy buttons (SWHIDs): the text to copy is in data-copy.
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      navigator.clipboard.writeText(b.getAttribute("data-copy")).then(function () { b.textContent = "copied"; }, function () { b.textContent = "copy failed"; });
    });
  });
})();
`;
