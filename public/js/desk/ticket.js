// The desk's hotkeys: B, S, X, T press the ticket's buttons, C the price ladder's Centre, "?"
// shows the list of keys.
// It keeps the trader's last quantity per symbol (the desk's state is re-rendered after every
// fill, and a flat position must not snap the ticket back to the default) and asks before an
// order above the account's confirmation size.
const QTY_KEY = (symbol) => `ticketQty:${symbol}`;

function rememberQty(card) {
  const input = card.querySelector('input[name="qty"]');
  if (!input) return;
  const key = QTY_KEY(card.dataset.symbol);
  let saved = null;
  try {
    saved = localStorage.getItem(key);
  } catch {}
  // As if the server had rendered it: a restored quantity is not an unsaved edit (state-sync.js).
  if (saved && /^\d{1,5}$/.test(saved)) input.defaultValue = input.value = saved;
  input.addEventListener("input", () => {
    if (!/^\d{1,5}$/.test(input.value)) return;
    try {
      localStorage.setItem(key, input.value);
    } catch {}
  });
}

function confirmLarge(card) {
  const above = Number(card.dataset.confirmAbove);
  if (!above) return;
  // Capture on the card: before htmx sees the form's submit.
  card.addEventListener(
    "submit",
    (e) => {
      const qty = Number(card.querySelector('input[name="qty"]')?.value);
      if (qty > above && !window.confirm(`Send an order of ${qty} contracts? (your confirmation size is ${above})`)) {
        e.preventDefault();
        e.stopImmediatePropagation();
      }
    },
    true,
  );
}

export const ticket = () => {
  let onKey = null;
  return {
    init() {
      const card = this.$el;
      rememberQty(card);
      confirmLarge(card);
      onKey = (e) => {
        if (e.ctrlKey || e.metaKey || e.altKey) return;
        const t = e.target;
        if (t && /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName)) return;
        if (e.key === "?") {
          document.querySelector("[data-keys-toggle]")?.click();
          e.preventDefault();
          return;
        }
        // Any of the desk's buttons with this key: the ticket's, the price ladder's Centre.
        const btn = card.closest("[data-desk]").querySelector('[data-hotkey="' + e.key.toLowerCase() + '"]');
        if (btn && !btn.disabled) {
          btn.click();
          e.preventDefault();
        }
      };
      document.addEventListener("keydown", onKey);
    },
    destroy() {
      document.removeEventListener("keydown", onKey);
    },
  };
};

/** The "Keys (?)" button: shows and hides the list it controls. */
export const keys = () => ({
  init() {
    const btn = this.$el;
    btn.addEventListener("click", () => {
      const list = document.getElementById(btn.getAttribute("aria-controls"));
      list.hidden = !list.hidden;
      btn.setAttribute("aria-expanded", String(!list.hidden));
    });
  },
});
