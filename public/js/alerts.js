// Alerts in every page of a signed-in trader: a price alert that fired (the server's `alert`
// message), and what the engine did that a trader wants to hear of (fills, stops, risk actions,
// feed outages: the events of `position` messages). Each shows a note in the corner, plays a
// short tone (unless turned off) and, when the trader allowed it, a browser notification. The
// choices are this browser's (Settings → Alerts).
(function () {
  const HEARD = {
    "tp.filled": "fill",
    "stop.filled": "stop",
    "timer.filled": "fill",
    "exit.filled": "fill",
    "risk.filled": "risk",
    "trade.opened": "fill",
    "stop.triggered": "stop",
    "risk.triggered": "risk",
    "feed.unprotected": "feed",
    "feed.protected": "feed",
  };
  const pref = function (k, dflt) {
    try {
      const v = localStorage.getItem("alerts." + k);
      return v === null ? dflt : v === "1";
    } catch (_) {
      return dflt;
    }
  };
  const setPref = function (k, on) {
    try {
      localStorage.setItem("alerts." + k, on ? "1" : "0");
    } catch (_) {}
  };

  let audio = null;
  function tone(kind) {
    if (!pref("sound", true)) return;
    try {
      audio = audio || new AudioContext();
      const o = audio.createOscillator();
      const g = audio.createGain();
      // Higher for a fill or a price, lower for a stop, a risk action or an outage.
      o.frequency.value = kind === "fill" || kind === "price" ? 880 : 440;
      g.gain.setValueAtTime(0.0001, audio.currentTime);
      g.gain.exponentialRampToValueAtTime(0.2, audio.currentTime + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.35);
      o.connect(g).connect(audio.destination);
      o.start();
      o.stop(audio.currentTime + 0.4);
    } catch (_) {}
  }

  let box = null;
  function note(text, kind) {
    if (!box) {
      box = document.createElement("div");
      box.className = "alert-notes";
      box.setAttribute("role", "log");
      box.setAttribute("aria-live", "assertive");
      box.setAttribute("aria-label", "Alerts");
      document.body.appendChild(box);
    }
    const n = document.createElement("div");
    n.className = "alert-note alert-note-" + kind;
    n.textContent = text;
    box.prepend(n);
    while (box.children.length > 4) box.lastChild.remove();
    setTimeout(function () {
      n.remove();
    }, 12000);
  }

  function notify(title, text, tag) {
    if (!pref("notify", false) || typeof Notification === "undefined" || Notification.permission !== "granted") return;
    try {
      // One notification per event however many tabs are open: the tag replaces its twin.
      new Notification(title, { body: text, tag: tag });
    } catch (_) {}
  }

  function hear(kind, title, text, tag) {
    note(title + ": " + text, kind);
    tone(kind);
    notify(title, text, tag);
    document.dispatchEvent(new CustomEvent("alerts:heard", { detail: { kind: kind, text: text } }));
  }

  document.addEventListener("live:alert", function (e) {
    const m = e.detail;
    hear(m.kind || "price", "Price alert", m.message, "alert:" + m.symbol + ":" + m.ts);
  });
  document.addEventListener("live:position", function (e) {
    const m = e.detail;
    (m.events || []).forEach(function (ev) {
      const kind = HEARD[ev.kind];
      if (kind) hear(kind, (m.account || "") + " " + (m.symbol || ""), ev.reason, ev.kind + ":" + ev.ts);
    });
  });

  // Settings → Alerts: this browser's sound and notification choices.
  function wire() {
    const sound = document.querySelector("[data-alert-sound]");
    if (sound && !sound.dataset.wired) {
      sound.dataset.wired = "1";
      sound.checked = pref("sound", true);
      sound.addEventListener("change", function () {
        setPref("sound", sound.checked);
        if (sound.checked) tone("fill");
      });
    }
    const ask = document.querySelector("[data-alert-notify]");
    if (ask && !ask.dataset.wired) {
      ask.dataset.wired = "1";
      const show = function () {
        const on =
          pref("notify", false) && typeof Notification !== "undefined" && Notification.permission === "granted";
        ask.textContent = on ? "Browser notifications: on (turn off)" : "Turn on browser notifications";
        ask.setAttribute("aria-pressed", String(on));
      };
      show();
      ask.addEventListener("click", function () {
        if (pref("notify", false)) {
          setPref("notify", false);
          return show();
        }
        if (typeof Notification === "undefined") return;
        Notification.requestPermission().then(function (p) {
          setPref("notify", p === "granted");
          show();
        });
      });
    }
  }
  wire();
  document.body.addEventListener("htmx:after:swap", wire);
})();
