// The live feed for a desk that is not a replay. The price socket is opened by status-bar.js;
// its messages arrive here as `live:*` events.
import { desk } from "./context.js";
import { chart, onPrint, setLast, setQuote, tape } from "./live.js";

const mine = (m) => desk.replayId === null && m.s === desk.symbol;

/** Listens for the feed; `refresh` catches the state up after a reconnect. */
export function startFeed(refresh) {
  let socket = null;
  let reconnected = false;
  const subscribe = () => {
    if (desk.replayId === null && socket && socket.readyState === 1)
      socket.send(JSON.stringify({ op: "subscribe", symbols: [desk.symbol] }));
  };
  document.addEventListener("live:open", (e) => {
    socket = e.detail.socket;
    subscribe();
    // After a disconnect (a server restart, a network drop) the page catches up at once.
    if (reconnected) refresh();
    reconnected = true;
  });
  document.addEventListener("live:trade", (e) => {
    if (mine(e.detail)) onPrint(e.detail);
  });
  // One burst: every print, oldest first ({"t":"trades","p":[…],"q":[…],"side":"…","ts":…,"dt":[…]};
  // print i at ts + dt[i]), and the book at its end if it moved ("quote"). The candle takes
  // each print, the price shown is the last.
  document.addEventListener("live:trades", (e) => {
    const m = e.detail;
    if (!mine(m)) return;
    if (m.p?.length) {
      if (m.ts !== undefined && m.dt)
        for (let i = 0; i < m.p.length; i++) tape({ p: m.p[i], q: m.q ? m.q[i] : 0, ts: m.ts + m.dt[i] });
      setLast(m.p[m.p.length - 1]);
    }
    if (m.quote) setQuote(m.quote);
  });
  document.addEventListener("live:quote", (e) => {
    if (mine(e.detail)) setQuote(e.detail);
  });
  document.addEventListener("live:bar", (e) => {
    if (mine(e.detail)) chart.onBar(e.detail);
  });
}
