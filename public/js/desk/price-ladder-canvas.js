// The price ladder's moving parts, drawn on a canvas behind its table: the Buy and Sell columns
// with the best bid and ask and their sizes, and the session's volume at each price. They
// change with every quote and print; as table text each change re-laid and re-painted the
// table (the desk's CPU rose by half), on a canvas it is one bitmap. The table above keeps the
// prices, the markers and the buttons (transparent here), so clicks and labels stay.

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/** `wrap`: the positioned box holding `table`; answers draw(state) and measure(). */
export function ladderCanvas(wrap, table) {
  const canvas = document.createElement("canvas");
  canvas.className = "dom-canvas";
  canvas.setAttribute("aria-hidden", "true");
  wrap.prepend(canvas);
  const g = canvas.getContext("2d");
  const colour = {
    buy: "#12261f",
    sell: "#2a1618",
    bid: css("--long") || "#3fb68b",
    ask: css("--short") || "#e5616b",
    bar: "#24303d",
    size: "#06121f",
    vol: css("--muted") || "#8b98a8",
  };
  let geo = null;
  let state = null;

  /** Where the rows and the three columns are (read from the table; again when it resizes). */
  function measure() {
    const body = table.tBodies[0];
    const first = body?.rows[0];
    if (!first || table.hidden) return;
    const box = wrap.getBoundingClientRect();
    const rows = body.getBoundingClientRect();
    // The canvas spans Buy to Volume only: the smaller it is, the less each frame sends on.
    const left = first.cells[1].getBoundingClientRect().left;
    const right = first.cells[4].getBoundingClientRect().right;
    const col = (i) => {
      const r = first.cells[i].getBoundingClientRect();
      return { x: r.left - left, w: r.width };
    };
    const dpr = window.devicePixelRatio || 1;
    geo = { dpr, rowH: rows.height / body.rows.length, buy: col(1), sell: col(3), vol: col(4) };
    canvas.style.top = rows.top - box.top + "px";
    canvas.style.left = left - box.left + "px";
    canvas.style.width = right - left + "px";
    canvas.style.height = rows.height + "px";
    canvas.width = Math.round((right - left) * dpr);
    canvas.height = Math.round(rows.height * dpr);
    const font = getComputedStyle(table);
    geo.font = `${font.fontSize} ${font.fontFamily}`;
  }

  const centred = (text, c, y, h) => g.fillText(text, c.x + c.w / 2, y + h / 2);

  /**
   * `s`: { top, n, bidT, askT, bs, as, volume: Map tick → contracts, maxVol }; `only`: the ticks
   * whose rows changed (a quote moves two to four, a print one), or every row when left out.
   */
  function draw(s, only) {
    state = s;
    if (!geo) measure();
    if (!geo || s.top === null) return;
    const { dpr, rowH } = geo;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.textBaseline = "middle";
    if (!only) {
      g.clearRect(0, 0, canvas.width / dpr, canvas.height / dpr);
      for (let i = 0; i < s.n; i++) row(s, i);
      return;
    }
    for (const t of only) {
      const i = s.top - t;
      if (i < 0 || i >= s.n) continue;
      g.clearRect(0, i * rowH, canvas.width / dpr, rowH);
      row(s, i);
    }
  }

  /** Row i: the Buy and Sell cells (the best bid and ask lit, with their sizes), the volume. */
  function row(s, i) {
    const { rowH, buy, sell, vol } = geo;
    const h = rowH - 1;
    const t = s.top - i;
    const y = i * rowH;
    const bid = t === s.bidT;
    const ask = t === s.askT;
    g.fillStyle = bid ? colour.bid : colour.buy;
    g.fillRect(buy.x, y, buy.w, h);
    g.fillStyle = ask ? colour.ask : colour.sell;
    g.fillRect(sell.x, y, sell.w, h);
    g.textAlign = "center";
    g.font = "700 " + geo.font;
    g.fillStyle = colour.size;
    if (bid && s.bs) centred(String(s.bs), buy, y, h);
    if (ask && s.as) centred(String(s.as), sell, y, h);
    const v = s.volume.get(t);
    if (v) {
      g.fillStyle = colour.bar;
      g.fillRect(vol.x, y + 3, Math.max(1, (vol.w * v) / s.maxVol), h - 6);
      g.textAlign = "right";
      g.font = geo.font;
      g.fillStyle = colour.vol;
      g.fillText(String(v), vol.x + vol.w - 4, y + h / 2);
    }
  }

  new ResizeObserver(() => {
    measure();
    if (state) draw(state);
  }).observe(table);
  return { draw, measure };
}
