// The ticket's hotkeys: B, S, X, T press the ticket's buttons, "?" shows the list of keys.
export const ticket = () => {
  let onKey = null;
  return {
    init() {
      const card = this.$el;
      onKey = (e) => {
        if (e.ctrlKey || e.metaKey || e.altKey) return;
        const t = e.target;
        if (t && /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName)) return;
        if (e.key === "?") {
          document.querySelector("[data-keys-toggle]")?.click();
          e.preventDefault();
          return;
        }
        const btn = card.closest("#desk-state").querySelector('[data-hotkey="' + e.key.toLowerCase() + '"]');
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
