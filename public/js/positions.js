// The positions page between server renders: last price and P&L of every open row follow the
// price socket (opened by status-bar.js). At most one DOM update per row per frame however fast
// prints come; the server's render (on any position change) stays the exact figure.
import { countdown, money } from "./format.js";

(function () {
  var socket = null;
  var pending = new Map(); // symbol -> latest price
  var queued = false;

  function rows() {
    return document.querySelectorAll("#positions tr[data-symbol]");
  }
  function symbols() {
    var set = {};
    rows().forEach(function (r) {
      set[r.dataset.symbol] = true;
    });
    return Object.keys(set);
  }
  function subscribe() {
    var list = symbols();
    if (socket && socket.readyState === 1 && list.length)
      socket.send(JSON.stringify({ op: "subscribe", symbols: list }));
  }

  function paint() {
    queued = false;
    rows().forEach(function (r) {
      var p = pending.get(r.dataset.symbol);
      if (p === undefined) return;
      var last = r.querySelector("[data-last]");
      var pnl = r.querySelector("[data-pnl]");
      if (last) last.textContent = p.toFixed(Number(r.dataset.decimals));
      if (!pnl || r.dataset.avg === "") return;
      var sign = r.dataset.side === "long" ? 1 : -1;
      var v = sign * (p - Number(r.dataset.avg)) * Number(r.dataset.qty) * Number(r.dataset.pointValue);
      pnl.textContent = money(v);
      pnl.className = v > 0 ? "long" : v < 0 ? "short" : "";
    });
    pending.clear();
  }

  document.addEventListener("live:open", function (e) {
    socket = e.detail.socket;
    subscribe();
  });
  // A re-render may list new symbols.
  document.body.addEventListener("htmx:after:swap", subscribe);
  function onPrice(s, p) {
    pending.set(s, p);
    if (!queued) {
      queued = true;
      requestAnimationFrame(paint);
    }
  }
  document.addEventListener("live:trade", function (e) {
    onPrice(e.detail.s, e.detail.p);
  });
  // Running trade timers count down between renders (the deadline is the server's).
  setInterval(function () {
    var now = Date.now();
    document.querySelectorAll("#positions [data-deadline]").forEach(function (el) {
      el.textContent = countdown(Number(el.dataset.deadline), now);
    });
  }, 1000);
  // Every print of one burst, oldest first: the last is the current price.
  document.addEventListener("live:trades", function (e) {
    var p = e.detail.p;
    if (p?.length) onPrice(e.detail.s, p[p.length - 1]);
  });
})();
