// The status bar: feed kind/state/last-tick age from the price socket's status messages, the
// symbols of the user's positions without prices ("unprotected: MES"), and the exchange clock. Other islands listen for the same socket through `live:*` events
// (`live:trade` for a single print, `live:trades` for every print of one burst, oldest first,
// with the book at its end when it moved).
import { ctClock } from "./format.js";

(function () {
  var badge = document.querySelector("[data-feed]");
  var clock = document.querySelector("[data-exchange-clock]");
  var names = { simulated: "Simulated feed", databento: "Databento live", off: "Feed off" };
  var lastStatusAt = 0;
  var socketUp = false;

  // Positions without prices (docs/trading-rules.md R7.1), "account:symbol" → symbol: rendered by
  // the server, then kept by the position messages (each carries its `unprotected` state).
  var unprotEl = document.querySelector("[data-unprotected]");
  var unprot = {};
  try {
    JSON.parse(unprotEl ? unprotEl.dataset.unprotected : "[]").forEach(function (k) {
      unprot[k] = k.slice(k.lastIndexOf(":") + 1);
    });
  } catch (_) {}
  function showUnprotected() {
    if (!unprotEl) return;
    var seen = {};
    Object.keys(unprot).forEach(function (k) {
      seen[unprot[k]] = true;
    });
    var list = Object.keys(seen).sort();
    unprotEl.textContent = list.length ? "unprotected: " + list.join(", ") : "";
    unprotEl.hidden = list.length === 0;
  }
  function onPosition(m) {
    if (!m.account || !m.symbol) return;
    var key = m.account + ":" + m.symbol;
    if (m.position?.unprotected) unprot[key] = m.symbol;
    else delete unprot[key];
    showUnprotected();
  }
  // After a reconnect the messages missed meanwhile are gone: the list is read again.
  function reloadUnprotected() {
    fetch("/api/v1/positions", { headers: { accept: "application/json" } })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (body) {
        if (!body) return;
        unprot = {};
        (body.positions || []).forEach(function (p) {
          if (p.unprotected) unprot[p.account + ":" + p.symbol] = p.symbol;
        });
        showUnprotected();
      })
      .catch(function () {});
  }

  function setFeed(f) {
    if (!badge) return;
    var tone = !socketUp
      ? "bad"
      : f.state === "live"
        ? f.kind === "simulated"
          ? "sim"
          : "ok"
        : f.kind === "off"
          ? "off"
          : "bad";
    badge.className = "feed feed-" + tone;
    badge.querySelector("[data-feed-name]").textContent = names[f.kind] || f.kind;
    badge.querySelector("[data-feed-state]").textContent = !socketUp
      ? "server unreachable"
      : f.state === "live"
        ? ""
        : f.state + (f.message ? ": " + f.message : "");
    var age = f.lastTickAgeMs;
    // A live feed that has been quiet for a while says so (a closed market, or a silent outage).
    badge.querySelector("[data-feed-age]").textContent =
      age !== null && age > 5000 ? "last tick " + Math.round(age / 1000) + " s ago" : "";
    badge.title = age === null ? "no ticks yet" : "last tick " + (age / 1000).toFixed(1) + " s ago";
  }

  function tickClock() {
    if (clock) clock.textContent = "CT " + ctClock(new Date());
    if (socketUp && lastStatusAt && Date.now() - lastStatusAt > 5000) {
      socketUp = false;
      setFeed({ kind: badge ? badge.dataset.kind : "off", state: "unknown", lastTickAgeMs: null });
    }
  }
  tickClock();
  setInterval(tickClock, 1000);

  var delay = 500;
  var opened = false;
  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
    ws.onopen = function () {
      delay = 500;
      if (opened) reloadUnprotected();
      opened = true;
      socketUp = true;
      document.dispatchEvent(new CustomEvent("live:open", { detail: { socket: ws } }));
    };
    ws.onmessage = function (e) {
      var m;
      try {
        m = JSON.parse(e.data);
      } catch (_) {
        return;
      }
      if (m.t === "status") {
        lastStatusAt = Date.now();
        socketUp = true;
        if (badge) badge.dataset.kind = m.feed.kind;
        setFeed(m.feed);
        setInstance(m.instance);
      } else if (m.t === "position") onPosition(m);
      else if (m.t === "notice") setNotice(m);
      document.dispatchEvent(new CustomEvent("live:" + m.t, { detail: m }));
    };
    ws.onclose = function () {
      socketUp = false;
      setFeed({ kind: badge ? badge.dataset.kind : "off", state: "disconnected", lastTickAgeMs: null });
      document.dispatchEvent(new CustomEvent("live:close"));
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }
  connect();

  // Something the trader must know about a position (a roll held for it): shown until the page is left.
  var noticeEl = document.querySelector("[data-notice]");
  function setNotice(m) {
    if (!noticeEl || !m.message) return;
    noticeEl.textContent = m.symbol ? m.symbol + ": " + (m.kind === "roll" ? "contract roll" : "notice") : "notice";
    noticeEl.title = m.message;
    noticeEl.hidden = false;
  }

  // On a shared database: which instance this page's socket is on and what it does.
  var instanceEl = document.querySelector("[data-instance]");
  function setInstance(i) {
    if (!instanceEl) return;
    if (!i || i.role === "sole") {
      instanceEl.hidden = true;
      return;
    }
    var parts = ["instance " + i.pid, i.role === "owner" ? "runs " + i.shards + "/" + i.of + " shards" : "standby"];
    if (i.feed) parts.push(i.feed === "leader" ? "feed leader" : "feed follower");
    if (i.nats) parts.push("NATS " + i.nats);
    instanceEl.textContent = parts.join(" · ");
    instanceEl.title = "This server is one of several on one database; each user's accounts are run by one of them";
    instanceEl.hidden = false;
  }
})();
