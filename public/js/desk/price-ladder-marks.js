// The price ladder's markers: what each row holds of the position (its average entry, the stop,
// each take-profit, resting entry limits with their ×), and dragging the stop or a take-profit
// marker to another row. The row under the pointer is where it goes: rows are a comfortable
// 20-odd pixels, so a finger moves a marker one tick per row, not one per pixel.

export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * Markers by tick, from the desk state's lines ({ entry, stop, tps, working }) and the position
 * ({ side, qty }); `toTick` puts a price on its row, `text` writes a row's price.
 */
export function markersOf(lines, pos, toTick, text) {
  const by = new Map();
  const add = (t, m) => {
    if (!by.has(t)) by.set(t, []);
    by.get(t).push(m);
  };
  if (lines.entry !== null && lines.entry !== undefined)
    add(toTick(lines.entry), {
      kind: "entry",
      label: (pos.side === "short" ? "S " : "L ") + pos.qty,
      // The average itself, which may fall between two ticks.
      title: "Average entry " + String(lines.entry),
    });
  if (lines.stop !== null && lines.stop !== undefined)
    add(toTick(lines.stop), { kind: "stop", label: "Stop", title: "Stop " + text(toTick(lines.stop)) });
  for (const tp of lines.tps || [])
    add(toTick(tp.price), {
      kind: "tp",
      index: tp.index,
      label: "TP" + tp.n,
      title: "TP" + tp.n + " " + text(toTick(tp.price)) + (tp.status === "armed" ? "" : " (" + tp.status + ")"),
      fixed: tp.status !== "armed",
    });
  for (const w of lines.working || [])
    if (w.purpose === "entry")
      add(toTick(w.price), {
        kind: "working",
        id: w.id,
        side: w.side,
        label: (w.side === "buy" ? "B " : "S ") + w.qty,
        title: w.side + " " + w.qty + " limit " + text(toTick(w.price)) + " (" + w.state + ")",
      });
  return by;
}

/** A row's markers: the stop and armed take-profits can be dragged, a resting limit cancelled. */
export function paintMarks(r, list) {
  r.marks.replaceChildren();
  for (const m of list || []) {
    const s = el("span", "mark mark-" + (m.kind === "working" ? m.side : m.kind), m.label);
    s.title = m.title;
    if ((m.kind === "stop" || m.kind === "tp") && !m.fixed) {
      s.dataset.kind = m.kind;
      if (m.kind === "tp") s.dataset.index = String(m.index);
      s.setAttribute("role", "button");
      s.setAttribute("aria-label", m.title + ": drag to move");
      s.classList.add("draggable");
    }
    r.marks.append(s);
    if (m.kind === "working" && /resting/.test(m.title)) {
      const x = el("button", "mark-x", "×");
      x.type = "button";
      x.dataset.cancel = m.id;
      x.setAttribute("aria-label", "Cancel " + m.title.replace(/ \(.*\)$/, ""));
      r.marks.append(x);
    }
  }
}

/** Drags over `body`'s `rows`; `drop(level, tick)` when a marker lands on another row. */
export function dragMarkers(body, rows, drop) {
  let drag = null;
  const rowAt = (y) => {
    const b = body.getBoundingClientRect();
    const i = Math.floor(((y - b.top) / b.height) * rows.length);
    return rows[Math.max(0, Math.min(rows.length - 1, i))];
  };
  body.addEventListener("pointerdown", (e) => {
    const m = e.target.closest(".mark.draggable");
    if (!m) return;
    const from = rows.find((x) => x.tr.contains(m));
    drag = { level: { kind: m.dataset.kind, index: Number(m.dataset.index) }, from: from.t, to: from, mark: m };
    m.setPointerCapture(e.pointerId);
    m.classList.add("dragging");
    e.preventDefault();
  });
  body.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const r = rowAt(e.clientY);
    if (r === drag.to) return;
    drag.to.tr.classList.remove("drop");
    drag.to = r;
    r.tr.classList.add("drop");
  });
  body.addEventListener("pointerup", () => {
    if (!drag) return;
    const d = drag;
    drag = null;
    d.to.tr.classList.remove("drop");
    d.mark.classList.remove("dragging");
    if (d.to.t !== d.from) drop(d.level, d.to.t);
  });
  body.addEventListener("pointercancel", () => {
    if (drag) drag.to.tr.classList.remove("drop");
    drag = null;
  });
}
