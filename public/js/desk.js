// The desk's live parts: prices, P&L and the timer between server renders, the state refresh
// when the position changes anywhere, hotkeys, and the chart with draggable stop/TP lines.
// The price socket is opened by status-bar.js; its messages arrive here as `live:*` events.
(function () {
  var desk = document.querySelector("[data-desk]");
  if (!desk) return;
  var account = desk.dataset.account;
  var symbol = desk.dataset.symbol;
  // A replay desk: prices, bars and the clock come from the replay's frames, never the live feed.
  var replayId = desk.dataset.replay ? Number(desk.dataset.replay) : null;
  var replayNow = null;
  var csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  var socket = null;
  var last = null;
  var prevClose = null;

  function stateEl() {
    return document.getElementById("desk-state");
  }
  function num(v) {
    return v === "" || v === undefined || v === null ? null : Number(v);
  }
  function decimals() {
    return Number(stateEl().dataset.decimals || 2);
  }
  function fmt(v) {
    return v === null || v === undefined || Number.isNaN(v) ? "—" : v.toFixed(decimals());
  }
  function money(v) {
    var s = Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return (v < 0 ? "-$" : "$") + s;
  }

  /* ---------- pickers ---------- */
  document.querySelectorAll(".picker select").forEach(function (sel) {
    sel.addEventListener("change", function () {
      sel.form.requestSubmit();
    });
  });

  /* ---------- socket ---------- */
  function subscribe() {
    if (replayId === null && socket && socket.readyState === 1)
      socket.send(JSON.stringify({ op: "subscribe", symbols: [symbol] }));
  }
  var reconnected = false;
  document.addEventListener("live:open", function (e) {
    socket = e.detail.socket;
    subscribe();
    // After a disconnect (a server restart, a network drop) the page catches up at once.
    if (reconnected) refresh();
    reconnected = true;
  });

  document.addEventListener("live:trade", function (e) {
    if (replayId === null && e.detail.s === symbol) onPrint(e.detail);
  });
  // One burst: every print, oldest first ({"t":"trades","p":[…],"q":[…],"side":"…","ts":…,"dt":[…]};
  // print i at ts + dt[i]), and the book at its end if it moved ("quote"). The candle takes
  // each print, the price shown is the last.
  document.addEventListener("live:trades", function (e) {
    var m = e.detail;
    if (replayId !== null || m.s !== symbol) return;
    if (m.p?.length) {
      if (m.ts !== undefined && m.dt)
        for (var i = 0; i < m.p.length; i++) chart.onTrade({ p: m.p[i], q: m.q ? m.q[i] : 0, ts: m.ts + m.dt[i] });
      last = m.p[m.p.length - 1];
      queuePaint();
    }
    if (m.quote) onQuote(m.quote);
  });

  // Prices and quotes are written to the page once per frame, however many arrive in between.
  var shownLast = null;
  var quote = null;
  var paintQueued = false;
  function queuePaint() {
    if (paintQueued) return;
    paintQueued = true;
    requestAnimationFrame(paint);
  }
  function paint() {
    paintQueued = false;
    if (last !== null && last !== shownLast) {
      var el = document.querySelector("[data-last]");
      if (el) {
        var before = shownLast === null ? last : shownLast;
        el.textContent = fmt(last);
        el.classList.toggle("up", last > before);
        el.classList.toggle("down", last < before);
      }
      shownLast = last;
      showChange();
      livePnl();
    }
    if (quote) {
      var b = document.querySelector("[data-bid]");
      var a = document.querySelector("[data-ask]");
      if (b) b.textContent = fmt(quote.b);
      if (a) a.textContent = fmt(quote.a);
      quote = null;
    }
  }

  function onPrint(m) {
    last = m.p;
    queuePaint();
    if (m.ts !== undefined) chart.onTrade(m);
  }

  function onQuote(m) {
    quote = m;
    queuePaint();
  }

  document.addEventListener("live:quote", function (e) {
    if (replayId === null && e.detail.s === symbol) onQuote(e.detail);
  });

  document.addEventListener("live:bar", function (e) {
    if (replayId === null && e.detail.s === symbol) chart.onBar(e.detail);
  });

  /* ---------- replay frames ---------- */
  var CT = new Intl.DateTimeFormat("en-CA", {
    timeZone: "America/Chicago",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  });
  document.addEventListener("live:replay", function (e) {
    var f = e.detail;
    if (replayId === null || f.id !== replayId) return;
    var player = document.getElementById("player");
    if (f.state === "closed") {
      location.href = "/replay";
      return;
    }
    // A seek back: the chart starts over from the replay's bars.
    if (replayNow !== null && f.now < replayNow) chart.reload();
    replayNow = f.now;
    var mine = f.symbols?.[symbol];
    if (mine) {
      (mine.m || []).forEach(function (b) {
        b.i = "1m";
        chart.onBar(b);
      });
      (mine.s || []).forEach(function (b) {
        b.i = "1s";
        chart.onBar(b);
      });
      if (mine.p !== null && mine.p !== last) onPrint({ p: mine.p });
      onQuote({ b: mine.b, a: mine.a });
    }
    if (!player) return;
    var bar = player.querySelector("[data-replay-progress]");
    if (bar) bar.value = Math.round(f.progress * 1000);
    var clock = player.querySelector("[data-replay-clock]");
    if (clock) clock.textContent = CT.format(new Date(f.now)).replace(",", "") + " CT";
    var seek = player.querySelector("[data-replay-seek]");
    if (seek && document.activeElement !== seek) seek.value = String(f.now);
    latestState = f.state;
    syncPanel();
  });

  // The server's panel shows the controls for the state; a change it did not cause (the end)
  // reloads it, and again after any swap that left an older state on screen (answers can cross).
  var latestState = null;
  var panelLoading = false;
  function syncPanel() {
    var player = document.getElementById("player");
    if (!player || latestState === null || panelLoading || player.dataset.state === latestState) return;
    panelLoading = true;
    var done = function () {
      panelLoading = false;
      setTimeout(syncPanel, 50);
    };
    var r = htmx.ajax("GET", "/replay/" + replayId + "/panel", { target: "#player", swap: "outerHTML" });
    if (r?.then) r.then(done, done);
    else setTimeout(done, 500);
  }
  if (replayId !== null)
    document.addEventListener("htmx:after:swap", function () {
      setTimeout(syncPanel, 0);
    });

  function showChange() {
    var el = document.querySelector("[data-change]");
    if (!el || last === null || prevClose === null) return;
    var ch = last - prevClose;
    el.textContent =
      (ch >= 0 ? "+" : "") +
      ch.toFixed(decimals()) +
      " (" +
      (ch >= 0 ? "+" : "") +
      ((ch / prevClose) * 100).toFixed(2) +
      "%)";
    el.className = "change num " + (ch > 0 ? "long" : ch < 0 ? "short" : "muted");
  }

  /* ---------- live P&L and timer ---------- */
  function livePnl() {
    var s = stateEl();
    var qty = Number(s.dataset.qty || 0);
    var avg = num(s.dataset.avg);
    var out = s.querySelector("[data-live-pnl]");
    if (!out || !qty || avg === null || last === null) return;
    var pts = s.dataset.side === "long" ? last - avg : avg - last;
    var dollars = pts * qty * Number(s.dataset.pointValue);
    var ticks = Math.round(pts / Number(s.dataset.tick));
    var m = out.querySelector("[data-live-money]");
    if (m) m.textContent = money(dollars);
    var t = out.querySelector("[data-live-ticks]");
    if (t) t.textContent = (ticks > 0 ? "+" : "") + ticks + " t";
    out.classList.toggle("long", dollars > 0);
    out.classList.toggle("short", dollars < 0);
  }

  setInterval(function () {
    var s = stateEl();
    var deadline = num(s?.dataset.deadline);
    var el = s?.querySelector("[data-countdown]");
    if (!el || deadline === null) return;
    var now = replayId !== null ? replayNow : Date.now();
    if (now === null) return;
    var left = Math.max(0, Math.round((deadline - now) / 1000));
    el.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
  }, 500);

  /* ---------- state refresh ---------- */
  var pending = false;
  function editing() {
    var a = document.activeElement;
    return a && stateEl().contains(a) && /^(INPUT|SELECT|TEXTAREA)$/.test(a.tagName) && a.type !== "checkbox";
  }
  /** The option a select showed when rendered (the first one unless one is marked selected). */
  function defaultIndex(sel) {
    for (var i = 0; i < sel.options.length; i++) if (sel.options[i].defaultSelected) return i;
    return 0;
  }
  /** Unsaved edits in the state's forms (values that differ from what the server rendered). */
  function dirty() {
    var fields = stateEl().querySelectorAll("input, select");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.type === "hidden") continue;
      if (
        f.type === "checkbox"
          ? f.checked !== f.defaultChecked
          : f.tagName === "SELECT"
            ? f.selectedIndex !== defaultIndex(f)
            : f.value !== f.defaultValue
      )
        return true;
    }
    return false;
  }
  function refresh() {
    // Never overwrite what the trader is typing: refresh when they leave the field.
    if (editing()) {
      pending = true;
      return;
    }
    pending = false;
    htmx.ajax("GET", "/desk/state?account=" + encodeURIComponent(account) + "&symbol=" + encodeURIComponent(symbol), {
      target: "#desk-state",
      swap: "outerHTML",
    });
  }
  document.addEventListener("focusout", function (e) {
    if (!pending) return;
    // Focus moving to one of the state's buttons means an action is on its way: its answer is
    // the fresh state (or the conflict), so a refresh now would only race it.
    var next = e.relatedTarget;
    if (next && next.tagName === "BUTTON" && stateEl().contains(next)) {
      pending = false;
      return;
    }
    setTimeout(function () {
      if (pending) refresh();
    }, 50);
  });
  var announced = 0;
  document.addEventListener("live:position", function (e) {
    var m = e.detail;
    if (m.account !== account || m.symbol !== symbol) return;
    if (m.position && typeof m.position.version === "number") announced = Math.max(announced, m.position.version);
    // Our own action's answer already showed this version (or a later one). Unless the message
    // brings log lines: the state shows the engine's position at once but the log only once the
    // step is stored, and this message comes after that — a refresh that crossed the store
    // (a fill right after its trigger) has the new version but not its lines.
    var shown = Number(stateEl().dataset.version || 0);
    var lines = m.events && m.events.length > 0;
    if (!lines && m.position && typeof m.position.version === "number" && m.position.version <= shown) return;
    refresh();
  });
  // A refresh that arrives while the trader is typing waits (its request may have left before).
  document.addEventListener("htmx:before:swap", function (e) {
    var ctx = e.detail?.ctx;
    var path = ctx?.request && String(ctx.request.action || "");
    if (path.indexOf("/desk/state") >= 0 && (editing() || dirty())) {
      e.preventDefault();
      pending = true;
    }
  });
  document.addEventListener("htmx:after:swap", function () {
    livePnl();
    chart.readLines();
    // An answer older than a change already announced (they crossed on the wire): catch up.
    if (Number(stateEl().dataset.version || 0) < announced || pending) setTimeout(refresh, 0);
  });

  /* ---------- hotkeys ---------- */
  var keys = document.getElementById("keys");
  var keysBtn = document.querySelector("[data-keys-toggle]");
  function toggleKeys() {
    keys.hidden = !keys.hidden;
    keysBtn.setAttribute("aria-expanded", String(!keys.hidden));
  }
  if (keysBtn) keysBtn.addEventListener("click", toggleKeys);
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t && /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName)) return;
    if (e.key === "?") {
      toggleKeys();
      e.preventDefault();
      return;
    }
    var btn = stateEl().querySelector('[data-hotkey="' + e.key.toLowerCase() + '"]');
    if (btn && !btn.disabled) {
      btn.click();
      e.preventDefault();
    }
  });

  /* ---------- chart ---------- */
  var chart = (function () {
    var box = document.querySelector("[data-chart]");
    var errEl = document.querySelector("[data-chart-error]");
    if (!box || typeof uPlot === "undefined")
      return { onTrade: function () {}, onBar: function () {}, readLines: function () {}, reload: function () {} };
    var tick = Number(box.dataset.tick);
    var data = [[], [], [], [], [], []]; // ts (s), open, high, low, close, volume
    var interval = "1m";
    try {
      if (localStorage.getItem("chart-interval") === "1s") interval = "1s";
    } catch (_) {}
    function secs() {
      return interval === "1s" ? 1 : 60;
    }
    var lines = { entry: null, stop: null, tps: [], version: null };
    var drag = null;
    var u = null;

    function readLines() {
      try {
        lines = JSON.parse(stateEl().dataset.lines || "{}");
      } catch (_) {
        lines = { tps: [] };
      }
      if (u) u.redraw(false);
    }

    function css(name) {
      return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    }

    function drawCandles(u) {
      var ctx = u.ctx;
      var n = u.data[0].length;
      // The first draw can come before setData() has handed over open, close and volume.
      if (!n || !u.data[4] || !u.data[5]) return;
      var left = u.bbox.left,
        top = u.bbox.top,
        height = u.bbox.height;
      var xs = u.data[0];
      var span = n > 1 ? (u.valToPos(xs[n - 1], "x", true) - u.valToPos(xs[0], "x", true)) / (n - 1) : 8;
      var w = Math.max(1, Math.min(14, span * 0.65));
      var maxV = 1;
      for (var k = 0; k < n; k++) if (u.data[5][k] > maxV) maxV = u.data[5][k];
      ctx.save();
      for (var i = 0; i < n; i++) {
        var x = u.valToPos(xs[i], "x", true);
        if (x < left - w || x > left + u.bbox.width + w) continue;
        var o = u.data[1][i],
          h = u.data[2][i],
          l = u.data[3][i],
          c = u.data[4][i];
        var up = c >= o;
        var col = up ? css("--long") : css("--short");
        // Volume: the bottom fifth of the plot, faint.
        var vh = (u.data[5][i] / maxV) * height * 0.18;
        ctx.fillStyle = up ? "rgba(63,182,139,0.25)" : "rgba(229,97,107,0.25)";
        ctx.fillRect(x - w / 2, top + height - vh, w, vh);
        ctx.strokeStyle = col;
        ctx.fillStyle = col;
        ctx.lineWidth = Math.max(1, devicePixelRatio);
        ctx.beginPath();
        ctx.moveTo(Math.round(x) + 0.5, u.valToPos(h, "y", true));
        ctx.lineTo(Math.round(x) + 0.5, u.valToPos(l, "y", true));
        ctx.stroke();
        var yo = u.valToPos(o, "y", true),
          yc = u.valToPos(c, "y", true);
        ctx.fillRect(x - w / 2, Math.min(yo, yc), w, Math.max(1, Math.abs(yc - yo)));
      }
      ctx.restore();
    }

    function drawLine(u, price, color, label, dashed) {
      if (price === null || price === undefined) return;
      var ctx = u.ctx;
      var y = Math.round(u.valToPos(price, "y", true)) + 0.5;
      if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) return;
      ctx.save();
      ctx.strokeStyle = color;
      ctx.lineWidth = devicePixelRatio;
      if (dashed) ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
      ctx.beginPath();
      ctx.moveTo(u.bbox.left, y);
      ctx.lineTo(u.bbox.left + u.bbox.width, y);
      ctx.stroke();
      ctx.setLineDash([]);
      var text = label + " " + price.toFixed(Number(box.dataset.decimals));
      ctx.font = 12 * devicePixelRatio + "px system-ui, sans-serif";
      ctx.textAlign = "left";
      ctx.textBaseline = "middle";
      var tw = ctx.measureText(text).width + 8 * devicePixelRatio;
      ctx.fillStyle = color;
      ctx.fillRect(u.bbox.left + u.bbox.width - tw, y - 9 * devicePixelRatio, tw, 18 * devicePixelRatio);
      ctx.fillStyle = "#0d1117";
      ctx.fillText(text, u.bbox.left + u.bbox.width - tw + 4 * devicePixelRatio, y + 0.5 * devicePixelRatio);
      ctx.restore();
    }

    function drawLines(u) {
      drawLine(u, lines.entry, css("--muted"), "Entry", true);
      (lines.tps || []).forEach(function (t) {
        var p = drag && drag.kind === "tp" && drag.index === t.index ? drag.price : t.price;
        drawLine(
          u,
          p,
          t.status === "filled" ? "#2f6f57" : css("--long"),
          "TP" + (t.index + 1) + (t.status === "filled" ? " ✓" : ""),
          t.status !== "armed",
        );
      });
      var sp = drag && drag.kind === "stop" ? drag.price : lines.stop;
      drawLine(u, sp, css("--short"), "Stop", false);
    }

    function range(u, min, max) {
      // Keep the levels on screen with the candles.
      var extra = [lines.entry, lines.stop]
        .concat(
          (lines.tps || []).map(function (t) {
            return t.price;
          }),
        )
        .filter(function (v) {
          return v !== null && v !== undefined;
        });
      extra.forEach(function (v) {
        if (v < min) min = v;
        if (v > max) max = v;
      });
      if (min === max || min === null) {
        min = (min || 0) - tick * 10;
        max = (max || 0) + tick * 10;
      }
      var pad = (max - min) * 0.08;
      return [min - pad, max + pad];
    }

    // The chart takes what the screen can spare: most of a desktop's height, a third of a phone's.
    function size() {
      var h = window.innerWidth < 640 ? 260 : Math.min(640, Math.max(320, Math.round(window.innerHeight * 0.58)));
      return { width: Math.max(280, box.clientWidth), height: h };
    }

    function create() {
      var s = size();
      u = new uPlot(
        {
          width: s.width,
          height: s.height,
          legend: { show: false },
          cursor: { drag: { x: false, y: false }, points: { show: false } },
          scales: { x: { time: true }, y: { range: range } },
          // Exchange time on the axis, like the status bar's clock.
          tzDate: function (ts) {
            return uPlot.tzDate(new Date(ts * 1000), "America/Chicago");
          },
          axes: [
            { stroke: css("--muted"), grid: { stroke: "#1f2731" }, ticks: { stroke: "#1f2731" } },
            {
              stroke: css("--muted"),
              grid: { stroke: "#1f2731" },
              ticks: { stroke: "#1f2731" },
              size: 64,
              values: function (u, vals) {
                return vals.map(function (v) {
                  return v.toFixed(Number(box.dataset.decimals));
                });
              },
            },
          ],
          series: [
            {},
            { label: "low", stroke: "transparent", points: { show: false } },
            { label: "high", stroke: "transparent", points: { show: false } },
          ],
          hooks: { draw: [drawCandles, drawLines] },
        },
        [data[0], data[3], data[2]],
        box,
      );
      u.over.addEventListener("pointerdown", onDown);
      // The instance, for tests and for the browser console.
      box.uplot = u;
      new ResizeObserver(function () {
        var s = size();
        u.setSize(s);
      }).observe(box);
      window.addEventListener("resize", function () {
        u.setSize(size());
      });
    }

    function setData() {
      if (!u) return;
      u.setData([data[0], data[3], data[2]]);
      // The draw hook reads OHLCV from here.
      u.data[1] = data[1];
      u.data[2] = data[2];
      u.data[3] = data[3];
      u.data[4] = data[4];
      u.data[5] = data[5];
      u.redraw(false);
    }

    function upsert(tsSec, o, h, l, c, v) {
      var n = data[0].length;
      if (n && data[0][n - 1] === tsSec) {
        data[2][n - 1] = Math.max(data[2][n - 1], h);
        data[3][n - 1] = Math.min(data[3][n - 1], l);
        data[4][n - 1] = c;
        data[5][n - 1] = v;
        return;
      }
      if (n && tsSec < data[0][n - 1]) return;
      data[0].push(tsSec);
      data[1].push(o);
      data[2].push(h);
      data[3].push(l);
      data[4].push(c);
      data[5].push(v);
      if (data[0].length > (interval === "1s" ? 900 : 600))
        data.forEach(function (a) {
          a.shift();
        });
    }

    var redrawQueued = false;
    function queueRedraw() {
      if (redrawQueued) return;
      redrawQueued = true;
      // At most one redraw per frame however fast prints come.
      requestAnimationFrame(function () {
        redrawQueued = false;
        setData();
      });
    }

    function onTrade(m) {
      var t = Math.floor(m.ts / (secs() * 1000)) * secs();
      var n = data[0].length;
      if (n && data[0][n - 1] === t) {
        data[2][n - 1] = Math.max(data[2][n - 1], m.p);
        data[3][n - 1] = Math.min(data[3][n - 1], m.p);
        data[4][n - 1] = m.p;
        data[5][n - 1] += m.q || 0;
      } else upsert(t, m.p, m.p, m.p, m.p, m.q || 0);
      queueRedraw();
    }

    function onBar(b) {
      if (b.i !== interval) return;
      var t = Math.floor(b.ts / 1000);
      var n = data[0].length;
      var i = data[0].lastIndexOf(t);
      if (i >= 0) {
        data[1][i] = b.o;
        data[2][i] = b.h;
        data[3][i] = b.l;
        data[4][i] = b.c;
        data[5][i] = b.v;
      } else if (!n || t > data[0][n - 1]) upsert(t, b.o, b.h, b.l, b.c, b.v);
      queueRedraw();
    }

    /* dragging a level */
    function nearest(y) {
      var best = null;
      function consider(kind, index, price) {
        if (price === null || price === undefined) return;
        var d = Math.abs(u.valToPos(price, "y") - y);
        if (d < 8 && (!best || d < best.d)) best = { kind: kind, index: index, price: price, d: d, from: price };
      }
      consider("stop", null, lines.stop);
      (lines.tps || []).forEach(function (t) {
        if (t.status === "armed") consider("tp", t.index, t.price);
      });
      return best;
    }
    function onDown(e) {
      var rect = u.over.getBoundingClientRect();
      var hit = nearest(e.clientY - rect.top);
      if (!hit) return;
      drag = hit;
      u.over.setPointerCapture(e.pointerId);
      u.over.classList.add("dragging");
      u.over.addEventListener("pointermove", onMove);
      u.over.addEventListener("pointerup", onUp, { once: true });
      e.preventDefault();
    }
    function onMove(e) {
      var rect = u.over.getBoundingClientRect();
      drag.price = Math.round(u.posToVal(e.clientY - rect.top, "y") / tick) * tick;
      u.redraw(false);
    }
    function onUp() {
      u.over.removeEventListener("pointermove", onMove);
      u.over.classList.remove("dragging");
      var d = drag;
      var price = Number(d.price.toFixed(Number(box.dataset.decimals)));
      if (price === d.from) {
        drag = null;
        u.redraw(false);
        return;
      }
      var base = "/api/v1/accounts/" + encodeURIComponent(account) + "/positions/" + encodeURIComponent(symbol);
      var req =
        d.kind === "stop"
          ? fetch(base + "/stop/move", {
              method: "POST",
              headers: { "content-type": "application/json", "x-csrf-token": csrf },
              body: JSON.stringify({ price: String(price), version: lines.version }),
            })
          : fetch(base + "/ladder/" + d.index, {
              method: "PATCH",
              headers: { "content-type": "application/json", "x-csrf-token": csrf },
              body: JSON.stringify({ target: { unit: "price", value: String(price) }, version: lines.version }),
            });
      req
        .then(function (res) {
          return res.json().then(function (body) {
            drag = null;
            if (!res.ok) {
              // Undo: the line goes back to where the server has it, with the reason.
              errEl.textContent = body.message || "refused";
              setTimeout(function () {
                errEl.textContent = "";
              }, 6000);
            } else errEl.textContent = "";
            refresh();
          });
        })
        .catch(function () {
          drag = null;
          errEl.textContent = "not saved: the server did not answer";
          u.redraw(false);
        });
    }

    function recent(iv) {
      var url =
        replayId !== null
          ? "/api/v1/replays/" +
            replayId +
            "/bars?symbol=" +
            encodeURIComponent(symbol) +
            "&interval=" +
            iv +
            "&count=" +
            (iv === "1s" ? 900 : 600)
          : "/api/v1/market/" +
            encodeURIComponent(symbol) +
            "/recent?interval=" +
            iv +
            "&count=" +
            (iv === "1s" ? 900 : 300);
      return fetch(url, { headers: { accept: "application/json" } }).then(function (r) {
        return r.json();
      });
    }

    /** Loads the chosen interval from scratch; prints arriving meanwhile are folded in after. */
    function load() {
      var want = interval;
      return recent(want).then(function (body) {
        if (want !== interval) return;
        data = [[], [], [], [], [], []];
        (body.bars || []).forEach(function (b) {
          upsert(Math.floor(b.ts / 1000), b.o, b.h, b.l, b.c, b.v);
        });
        setData();
      });
    }

    function showInterval() {
      document.querySelectorAll("[data-interval]").forEach(function (b) {
        var on = b.dataset.interval === interval;
        b.classList.toggle("on", on);
        b.setAttribute("aria-pressed", String(on));
      });
    }
    document.querySelectorAll("[data-interval]").forEach(function (b) {
      b.addEventListener("click", function () {
        if (b.dataset.interval === interval) return;
        interval = b.dataset.interval;
        try {
          localStorage.setItem("chart-interval", interval);
        } catch (_) {}
        showInterval();
        load();
      });
    });

    readLines();
    create();
    showInterval();
    // The day's change needs one-minute history whichever interval is drawn.
    recent("1m").then(function (body) {
      prevClose = previousSessionClose(body.bars || []);
      showChange();
      if (interval === "1m") {
        (body.bars || []).forEach(function (b) {
          upsert(Math.floor(b.ts / 1000), b.o, b.h, b.l, b.c, b.v);
        });
        setData();
      } else load();
    });

    return { onTrade: onTrade, onBar: onBar, readLines: readLines, reload: load };
  })();

  /** Close of the last bar before the current Globex session opened (17:00 Chicago). */
  function previousSessionClose(bars) {
    if (!bars.length) return null;
    var fmtCt = new Intl.DateTimeFormat("en-US", { timeZone: "America/Chicago", hour: "numeric", hour12: false });
    for (var i = bars.length - 1; i > 0; i--) {
      var h = Number(fmtCt.format(new Date(bars[i].ts)));
      var hPrev = Number(fmtCt.format(new Date(bars[i - 1].ts)));
      if (h >= 17 && hPrev < 17) return bars[i - 1].c;
    }
    return bars[0].o;
  }
})();
