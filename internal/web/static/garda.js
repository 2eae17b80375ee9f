// Garda's only script: small conveniences that the pages work without.
// No framework, nothing fetched; loaded from /static so the CSP needs no
// 'unsafe-inline'.
(function () {
  "use strict";

  // A form with data-confirm asks before it is sent (disabling an account).
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      ev.preventDefault();
    }
  });

  // Rows of a table marked data-href-rows open their first link when
  // clicked anywhere, which is handier on a touch screen.
  document.addEventListener("click", function (ev) {
    var row = ev.target.closest && ev.target.closest("tr");
    if (!row || ev.target.closest("a, button, input, select, textarea, summary")) return;
    if (!row.closest("table[data-href-rows]")) return;
    var link = row.querySelector("a[href]");
    if (link) link.click();
  });

  // A button with data-copy copies the text of the element it names (a
  // bouncer's key). Hidden until the script can offer it.
  document.querySelectorAll("button[data-copy]").forEach(function (btn) {
    var target = document.querySelector(btn.getAttribute("data-copy"));
    if (!target || !navigator.clipboard) return;
    btn.hidden = false;
    btn.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent.trim()).then(function () {
        btn.textContent = btn.getAttribute("data-copied") || btn.textContent;
      });
    });
  });

  // The alert and incident queues follow their stream (Server-Sent
  // Events): a new record is put on top, a changed one replaced in place,
  // one that no longer matches the queue's filters greyed out. Rows are
  // fetched as HTML from the server (data-row, "{id}" filled in), which
  // renders them as it renders the page, under the reader's own visibility,
  // and says in X-Queue-Match whether the record matches the filters the
  // row URL carries. Without this script the page is the same, just not
  // live. A table with data-live-key keys its rows by that field of the
  // event (the alert queue: one row per group of alerts); the row URL is
  // filled with the record's id and answers with its group's row, or not
  // found when the group has nothing left in the queue.
  var queue = document.querySelector("table[data-live]");
  if (queue && window.EventSource && window.fetch) {
    followQueue(queue);
  }

  function followQueue(table) {
    var body = table.tBodies[0];
    var rowURL = table.getAttribute("data-row");
    var eventName = table.getAttribute("data-live-event") || "alert";
    var statuses = (table.getAttribute("data-statuses") || "").split(",").filter(Boolean);
    var prepend = table.hasAttribute("data-live-prepend");
    var keyField = table.getAttribute("data-live-key");

    // The row of a key, compared as text: a group's key ("203.0.113.5|12")
    // is no CSS identifier.
    function rowOf(key) {
      var rows = body.querySelectorAll("tr[data-id]");
      for (var i = 0; i < rows.length; i++) {
        if (rows[i].getAttribute("data-id") === String(key)) return rows[i];
      }
      return null;
    }
    var indicator = document.querySelector("[data-live-indicator]");
    var counter = document.querySelector("[data-queue-count]");

    function show(state) {
      if (!indicator) return;
      indicator.hidden = false;
      indicator.classList.toggle("is-retry", state === "retry");
      indicator.classList.toggle("is-off", state === "off");
      var text = indicator.querySelector("[data-live-text]");
      if (text) text.textContent = indicator.getAttribute("data-label-" + state) || "";
    }

    function recount() {
      if (!counter) return;
      var n = body.querySelectorAll("tr[data-id]").length;
      var label = counter.getAttribute("data-label");
      if (label) counter.textContent = label.replace("%d", String(n));
    }

    // Rows are fetched as events come; an answer overtaken by a later
    // request for the same row is dropped.
    var latest = {};
    var asked = 0;
    function put(key, id, out) {
      var n = ++asked;
      latest[key] = n;
      fetch(rowURL.replace("{id}", String(id)), { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (res) {
          if (res.headers.get("X-Queue-Match") === "0") out = true;
          if (!res.ok && latest[key] === n) {
            // No row to show (no longer visible, or an error): a row on
            // the page is greyed out rather than left as it was.
            var gone = rowOf(key);
            if (gone) gone.classList.add("row-out");
          }
          return res.ok ? res.text() : "";
        })
        .then(function (html) {
          if (!html || latest[key] !== n) return;
          var tpl = document.createElement("template");
          tpl.innerHTML = html.trim();
          var row = tpl.content.querySelector("tr[data-id]");
          if (!row) return;
          var old = rowOf(key);
          if (old) {
            // An opened group stays open.
            var was = old.querySelector("details[open]"), now = row.querySelector("details");
            if (was && now) now.open = true;
            body.replaceChild(row, old);
          } else if (prepend && !out) {
            var empty = body.querySelector("tr.empty-row");
            if (empty) empty.remove();
            body.insertBefore(row, body.firstChild);
          } else {
            return;
          }
          row.classList.add(out ? "row-out" : "row-new");
          recount();
        })
        .catch(function () {});
    }

    // A stream that comes back after a break is first sent what changed
    // in between (the browser sends its last event's id); when the server
    // no longer knows all of it, it says "gap": offer a reload rather than
    // look complete.
    var gap = document.querySelector("[data-live-gap]");
    var es = new EventSource(table.getAttribute("data-live"));
    es.addEventListener("open", function () { show("on"); });
    es.addEventListener("gap", function () { if (gap) gap.hidden = false; });
    es.addEventListener("error", function () {
      show(es.readyState === EventSource.CLOSED ? "off" : "retry");
    });
    es.addEventListener(eventName, function (ev) {
      var a;
      try { a = JSON.parse(ev.data); } catch (e) { return; }
      if (!a || typeof a.id !== "number") return;
      var key = keyField ? a[keyField] : a.id;
      if (key === undefined) return;
      var row = rowOf(key);
      var out = statuses.length > 0 && statuses.indexOf(a.status) < 0;
      // A row on the page is refreshed, and greyed out if its record left
      // the filters; a record new to the page is added only if it matches.
      // A group row is the server's to judge: other alerts of the group
      // may still be in the queue.
      if (keyField && row) out = false;
      if (row || latest[key] || (prepend && !out)) put(key, a.id, out);
    });
  }

  // A picker (an input with data-picker) offers matches as one types,
  // fetched from its search endpoint into its <datalist>; the field itself
  // stays a plain input that takes a code, username or slug as typed. A
  // multi picker searches for the last of its comma-separated values.
  document.querySelectorAll("input[data-picker]").forEach(function (input) {
    var list = input.list;
    if (!list || !window.fetch) return;
    var src = input.getAttribute("data-picker");
    var valueField = input.getAttribute("data-picker-value");
    var labelField = input.getAttribute("data-picker-label");
    var multi = input.hasAttribute("data-picker-multi");
    var timer = 0, asked = 0;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var text = input.value, head = "";
      if (multi) {
        var cut = Math.max(text.lastIndexOf(","), text.lastIndexOf(" "));
        head = text.slice(0, cut + 1);
        text = text.slice(cut + 1);
      }
      text = text.trim();
      if (!text) return;
      timer = setTimeout(function () {
        var n = ++asked;
        var url = src + (src.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(text);
        fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (res) { return res.ok ? res.json() : null; })
          .then(function (data) {
            if (!data || n !== asked) return;
            list.textContent = "";
            (data.items || []).slice(0, 20).forEach(function (item) {
              var opt = document.createElement("option");
              opt.value = (multi ? head : "") + String(item[valueField]);
              opt.textContent = item[labelField] ? String(item[labelField]) : String(item[valueField]);
              list.appendChild(opt);
            });
          })
          .catch(function () {});
      }, 200);
    });
  });

  // An incident page tells its reader when someone else changes the
  // incident (the incident stream), rather than reloading under their
  // hands while they type.
  var changed = document.querySelector("[data-incident-live]");
  if (changed && window.EventSource) {
    var incidentID = Number(changed.getAttribute("data-incident-live"));
    var shown = Date.parse(changed.getAttribute("data-updated"));
    var incidents = new EventSource("/api/v1/incidents/stream");
    incidents.addEventListener("incident", function (ev) {
      var i;
      try { i = JSON.parse(ev.data); } catch (e) { return; }
      if (!i || i.id !== incidentID || Date.parse(i.updated_at) <= shown) return;
      changed.hidden = false;
    });
  }

  // A running scan's page (data-scan-progress names its event stream)
  // shows the counts as they change and reloads itself when the scan ends;
  // without the script the page is simply reloaded by hand.
  var scanBox = document.querySelector("[data-scan-progress]");
  if (scanBox && window.EventSource) {
    var scanES = new EventSource(scanBox.getAttribute("data-scan-progress"));
    var showScan = function (ev) {
      var sc;
      try { sc = JSON.parse(ev.data); } catch (e) { return; }
      ["targets_done", "targets_total", "requests", "results"].forEach(function (k) {
        var el = scanBox.querySelector('[data-scan-field="' + k + '"]');
        if (el && sc[k] !== undefined) el.textContent = sc[k];
      });
      var bar = scanBox.querySelector("[data-scan-bar]");
      if (bar && sc.targets_total > 0) bar.value = Math.floor(100 * sc.targets_done / sc.targets_total);
    };
    scanES.addEventListener("progress", showScan);
    scanES.addEventListener("end", function (ev) { showScan(ev); scanES.close(); window.location.reload(); });
  }

  // A room's drill page (data-drill-live names the room's drill stream)
  // shows each drill alert when its moment comes, and each run as it is
  // scheduled, starts or ends: an event only says that something changed,
  // the page reads itself again and puts in place the runs it did not show
  // (or showed in another status) and each other run's fresh alert list
  // (the forms being filled in stay as they are).
  var drillBox = document.querySelector("[data-drill-live]");
  if (drillBox && window.EventSource && window.fetch && window.DOMParser) {
    var drillBusy = false, drillAgain = false;
    var readDrills = function () {
      if (drillBusy) { drillAgain = true; return; }
      drillBusy = true;
      fetch(window.location.pathname, { credentials: "same-origin", cache: "no-store" })
        .then(function (res) {
          if (!res.ok) throw new Error("status " + res.status);
          return res.text();
        })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var runs = document.querySelector("[data-drill-runs]"), freshRuns = doc.querySelector("[data-drill-runs]");
          if (runs && freshRuns) {
            var shown = Array.prototype.slice.call(freshRuns.children).map(function (fresh) {
              var old = fresh.id ? document.getElementById(fresh.id) : null;
              if (!old || old.getAttribute("data-run-status") !== fresh.getAttribute("data-run-status")) return document.adoptNode(fresh);
              var list = fresh.querySelector("[data-drill-alerts]"), oldList = old.querySelector("[data-drill-alerts]");
              if (list && oldList) oldList.replaceWith(document.adoptNode(list));
              return old;
            });
            runs.replaceChildren.apply(runs, shown);
          }
          drillBox.setAttribute("data-refreshed", String(Date.now()));
        })
        .catch(function () {})
        .then(function () {
          drillBusy = false;
          if (drillAgain) { drillAgain = false; readDrills(); }
        });
    };
    var drillES = new EventSource(drillBox.getAttribute("data-drill-live") + "?last_event_id=" + drillBox.getAttribute("data-event-id"));
    drillES.addEventListener("drill", readDrills);
  }

  // A button with data-print prints the page (the UU PDP letter). Hidden
  // until the script can offer it.
  document.querySelectorAll("button[data-print]").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () { window.print(); });
  });

  // On a phone the navigation is a strip that scrolls sideways: bring the
  // current page's entry into view.
  if (window.matchMedia("(max-width: 760px)").matches) {
    var current = document.querySelector(".sidenav a.current");
    if (current) current.scrollIntoView({ block: "nearest", inline: "center" });
  }
})();
