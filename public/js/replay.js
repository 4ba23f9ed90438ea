// The replay page: times typed in the browser's zone become epoch milliseconds for the server
// (and are shown in exchange time next to the form); a download's progress comes over /ws.
import { ctMonthDayMinute } from "./format.js";

(function () {
  function sync(input) {
    var form = input.form;
    var target = form?.elements[input.dataset.localTime];
    var ms = new Date(input.value).getTime();
    if (!target || Number.isNaN(ms)) return;
    target.value = String(ms);
    var note = form.querySelector("[data-exchange-time]");
    var from = form.querySelector('[data-local-time="fromMs"], [data-local-time="startMs"]');
    var to = form.querySelector('[data-local-time="toMs"], [data-local-time="endMs"]');
    if (note && from && to) {
      const a = new Date(from.value);
      const b = new Date(to.value);
      if (!Number.isNaN(a.getTime()) && !Number.isNaN(b.getTime()))
        note.textContent = "Exchange time: " + ctMonthDayMinute(a) + " → " + ctMonthDayMinute(b) + " CT";
    }
  }
  function syncAll() {
    document.querySelectorAll("[data-local-time]").forEach(sync);
  }
  document.addEventListener("input", function (e) {
    if (e.target.dataset?.localTime) sync(e.target);
  });
  document.addEventListener("htmx:after:swap", syncAll);
  syncAll();

  document.addEventListener("live:replay-download", function (e) {
    var bar = document.querySelector("[data-download-progress]");
    if (!bar) return;
    bar.hidden = false;
    bar.value = Math.round((e.detail.progress || 0) * 1000);
  });
})();
