// Chart, price ladder or both: the desk head's switch, remembered in this browser. A wide screen
// starts with both, a narrower one with the chart.
const KEY = "market-view";
const VIEWS = ["chart", "ladder", "both"];

export const marketView = () => ({
  init() {
    const group = this.$el;
    const market = document.querySelector("[data-market]");
    if (!market) return;
    let view = null;
    try {
      view = localStorage.getItem(KEY);
    } catch {}
    if (!VIEWS.includes(view)) view = window.innerWidth >= 1200 ? "both" : "chart";
    const show = (v) => {
      market.dataset.view = v;
      for (const b of group.querySelectorAll("[data-market-view]")) {
        const on = b.dataset.marketView === v;
        b.classList.toggle("on", on);
        b.setAttribute("aria-pressed", String(on));
      }
    };
    for (const b of group.querySelectorAll("[data-market-view]"))
      b.addEventListener("click", () => {
        show(b.dataset.marketView);
        try {
          localStorage.setItem(KEY, b.dataset.marketView);
        } catch {}
      });
    show(view);
  },
});
