// The chart's candles as uPlot's column arrays: ts (s), open, high, low, close, volume; a print
// updates the last candle or opens the next, a bar from the server replaces its candle.

export function createSeries() {
  let data = [[], [], [], [], [], []];
  const s = {
    interval: "1m",
    secs: () => (s.interval === "1s" ? 1 : 60),
    get data() {
      return data;
    },
    clear() {
      data = [[], [], [], [], [], []];
    },
    upsert(tsSec, o, h, l, c, v) {
      const n = data[0].length;
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
      if (data[0].length > (s.interval === "1s" ? 900 : 600)) for (const a of data) a.shift();
    },
    trade(m) {
      const t = Math.floor(m.ts / (s.secs() * 1000)) * s.secs();
      const n = data[0].length;
      if (n && data[0][n - 1] === t) {
        data[2][n - 1] = Math.max(data[2][n - 1], m.p);
        data[3][n - 1] = Math.min(data[3][n - 1], m.p);
        data[4][n - 1] = m.p;
        data[5][n - 1] += m.q || 0;
      } else s.upsert(t, m.p, m.p, m.p, m.p, m.q || 0);
    },
    /** False for a bar of the interval not drawn. */
    bar(b) {
      if (b.i !== s.interval) return false;
      const t = Math.floor(b.ts / 1000);
      const n = data[0].length;
      const i = data[0].lastIndexOf(t);
      if (i >= 0) {
        data[1][i] = b.o;
        data[2][i] = b.h;
        data[3][i] = b.l;
        data[4][i] = b.c;
        data[5][i] = b.v;
      } else if (!n || t > data[0][n - 1]) s.upsert(t, b.o, b.h, b.l, b.c, b.v);
      return true;
    },
    bars(list) {
      for (const b of list || []) s.upsert(Math.floor(b.ts / 1000), b.o, b.h, b.l, b.c, b.v);
    },
  };
  return s;
}
