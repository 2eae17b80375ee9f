// The wall display (/ruang-operasi/{id}/layar) keeps itself live with no
// one at the keyboard. It follows the alert and incident streams; an event
// only says "something changed", and the wall then reads its whole state
// again from /layar/data (under the signed-in person's visibility, RED
// left out by the server): no record's content is drawn from the stream.
// A lost connection is said on the screen; the streams reopen by
// themselves (the browser sends Last-Event-ID; a stream the browser gave
// up on is reopened here with ?last_event_id=) and the state is read again,
// so what happened meanwhile shows.
(function () {
  "use strict";
  var body = document.body;
  if (!body || !body.hasAttribute("data-wall")) return;
  var dataURL = body.getAttribute("data-wall-data");
  var lastEventID = Number(body.getAttribute("data-event-id")) || Date.now();
  var streams = (body.getAttribute("data-streams") || "").split(" ").filter(Boolean);
  var noneLabel = body.getAttribute("data-label-none") || "-";
  var overdue = body.getAttribute("data-label-overdue") || "";
  var conn = document.querySelector("[data-wall-conn]");
  var connText = document.querySelector("[data-wall-conn-text]");

  // Clocks: the three zones, and each deadline's time left.
  var zoneFormats = [];
  document.querySelectorAll("time[data-tz]").forEach(function (el) {
    var f = null;
    try {
      f = new Intl.DateTimeFormat("en-GB", { timeZone: el.getAttribute("data-tz"), hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    } catch (e) { f = null; }
    zoneFormats.push({ el: el, f: f });
  });
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function span(ms) {
    var neg = ms < 0, s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    var out = (h >= 48 ? Math.floor(h / 24) + "d " + (h % 24) + "j" : h + ":" + pad(m) + ":" + pad(s % 60));
    return neg ? "−" + out + " " + overdue : out;
  }
  function tick() {
    var now = new Date();
    zoneFormats.forEach(function (z) { if (z.f) z.el.textContent = z.f.format(now); });
    document.querySelectorAll("[data-wall-list=clocks] li[data-due]").forEach(function (li) {
      var r = li.querySelector(".wall-remain");
      if (r) r.textContent = span(Number(li.getAttribute("data-due")) - now.getTime());
    });
  }
  tick();
  setInterval(tick, 1000);

  // The connection as the screen says it.
  var lost = false, backTimer = 0;
  function setLost(isLost) {
    if (!conn) return;
    if (isLost) {
      lost = true;
      clearTimeout(backTimer);
      conn.hidden = false;
      conn.classList.remove("is-back");
      if (connText) connText.textContent = conn.getAttribute("data-label-lost");
      body.setAttribute("data-conn", "lost");
      return;
    }
    body.setAttribute("data-conn", "on");
    if (!lost) return;
    lost = false;
    conn.classList.add("is-back");
    if (connText) connText.textContent = conn.getAttribute("data-label-back");
    clearTimeout(backTimer);
    backTimer = setTimeout(function () { conn.hidden = true; }, 4000);
  }

  // Redrawing from the state.
  function item(li, it, withStatus) {
    li.className = "sev-" + it.severity;
    li.setAttribute("data-id", String(it.id));
    var sev = document.createElement("span");
    sev.className = "wall-sev";
    sev.textContent = it.severity_label;
    var ref = document.createElement("span");
    ref.className = "wall-ref";
    ref.textContent = it.ref;
    var sub = document.createElement("span");
    sub.className = "wall-sub";
    sub.textContent = it.place + (it.asset ? " · " + it.asset : "") + (withStatus ? " · " + it.status_label : "");
    li.append(sev, " ", ref, " ", it.title + " ", sub);
  }
  function list(name, items, fill) {
    var ol = document.querySelector("[data-wall-list=" + name + "]");
    if (!ol) return;
    var had = {};
    ol.querySelectorAll("li[data-id]").forEach(function (li) { had[li.getAttribute("data-id")] = true; });
    var first = ol.children.length === 0;
    ol.textContent = "";
    if (!items || items.length === 0) {
      var e = document.createElement("li");
      e.className = "wall-empty";
      e.textContent = noneLabel;
      ol.appendChild(e);
      return;
    }
    items.forEach(function (it) {
      var li = document.createElement("li");
      fill(li, it);
      var key = li.getAttribute("data-id");
      if (key && !had[key] && !first) li.classList.add("is-new");
      ol.appendChild(li);
    });
  }
  function draw(st) {
    Object.keys(st.counters || {}).forEach(function (k) {
      var el = document.querySelector('[data-counter="' + k + '"]');
      if (!el) return;
      var more = (k === "alerts_open" && st.counters.alerts_more) || (k === "incidents_open" && st.counters.incidents_more);
      var v = String(st.counters[k]) + (more ? "+" : "");
      if (el.textContent !== v) {
        el.textContent = v;
        el.classList.remove("bump");
        void el.offsetWidth;
        el.classList.add("bump");
      }
    });
    var drill = document.querySelector("[data-wall-drill]");
    if (drill) {
      drill.hidden = !st.drill_alerts_new;
      var dt = drill.querySelector("[data-wall-drill-text]");
      if (dt) dt.textContent = st.drill_text || "";
    }
    var pst = document.querySelector("[data-wall-posture]");
    if (pst) pst.className = "wall-posture " + st.posture_class;
    document.querySelectorAll("[data-wall-field]").forEach(function (el) {
      var f = el.getAttribute("data-wall-field");
      if (f === "updated") el.textContent = new Date(st.at).toLocaleString("id-ID", { timeZone: "Asia/Jakarta" });
      else if (st[f] !== undefined) el.textContent = st[f];
    });
    (st.map || []).forEach(function (a) {
      var path = document.querySelector('path[data-region="' + a.code + '"]');
      if (path) path.setAttribute("class", a["class"]);
    });
    list("alerts", st.alerts, function (li, it) { item(li, it, false); });
    list("incidents", st.incidents, function (li, it) { item(li, it, true); });
    list("clocks", st.clocks, function (li, c) {
      li.className = "clk-" + c.state;
      li.setAttribute("data-due", String(Date.parse(c.due)));
      var r = document.createElement("span");
      r.className = "wall-remain";
      var ref = document.createElement("span");
      ref.className = "wall-ref";
      ref.textContent = c.incident;
      var sub = document.createElement("span");
      sub.className = "wall-sub";
      sub.textContent = c.title;
      li.append(r, " ", ref, " " + c.label + " ", sub);
    });
    tick();
  }

  // Reading the state: at most one request at a time, and one more after
  // it when events came meanwhile.
  // The body counts the reads each cause brought (data-reads-event,
  // -open, -timer): the browser test tells by it that an event, not the
  // timer, brought a new alert.
  var busy = false, again = false, timer = 0, cause = "timer", pending = "";
  function refresh(why) {
    why = typeof why === "string" ? why : "timer";
    if (busy) { again = true; pending = why; return; }
    busy = true;
    cause = why;
    lastRead = Date.now();
    fetch(dataURL, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (res) {
        if (!res.ok) throw new Error("status " + res.status);
        return res.json();
      })
      .then(function (st) {
        draw(st);
        if (st.event_id) lastEventID = Math.max(lastEventID, st.event_id);
        body.setAttribute("data-refreshed", String(Date.now()));
        var attr = "data-reads-" + cause;
        body.setAttribute(attr, String((Number(body.getAttribute(attr)) || 0) + 1));
        if (allOpen()) setLost(false);
      })
      .catch(function () {
        setLost(true);
        reopenAll();
      })
      .then(function () {
        busy = false;
        if (again) { again = false; soon(pending); }
      });
  }
  // Events come in bursts (a flood raises many alerts a second): the wall
  // reads its state at most once a second, a quarter second after the
  // last event at the soonest.
  var lastRead = 0;
  function soon(why) {
    clearTimeout(timer);
    var wait = Math.max(250, 1000 - (Date.now() - lastRead));
    timer = setTimeout(function () { refresh(why); }, wait);
  }

  // The streams.
  var sources = [];
  function open(i) {
    var url = streams[i];
    var es = new EventSource(url + (url.indexOf("?") < 0 ? "?" : "&") + "last_event_id=" + lastEventID);
    sources[i] = es;
    es.addEventListener("open", function () {
      if (sources[i] !== es) return;
      if (allOpen()) setLost(false);
      soon("open");
    });
    es.addEventListener("error", function () {
      if (sources[i] !== es) return;
      setLost(true);
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (the server answered an error while it
        // restarted): open again after a pause, from the last event.
        setTimeout(function () { if (sources[i] === es) open(i); }, 3000);
      }
    });
    ["alert", "incident", "drill", "gap"].forEach(function (name) {
      es.addEventListener(name, function (ev) {
        var id = Number(ev.lastEventId);
        if (id > lastEventID) lastEventID = id;
        soon("event");
      });
    });
  }
  function allOpen() {
    return sources.length > 0 && sources.every(function (es) { return es.readyState === EventSource.OPEN; });
  }
  var reopening = 0;
  function reopenAll() {
    // A failed read with streams that still look open means a connection
    // that died without closing: reopen them, at most every ten seconds.
    if (Date.now() - reopening < 10000) return;
    reopening = Date.now();
    sources.forEach(function (es, i) {
      if (es.readyState === EventSource.OPEN) { es.close(); open(i); }
    });
  }
  if (window.EventSource && window.fetch) {
    body.setAttribute("data-conn", "connecting");
    for (var i = 0; i < streams.length; i++) open(i);
  }
  // Deadlines move without events: read again every 30 s all the same.
  setInterval(function () { refresh("timer"); }, 30000);
})();
