// The replay page: times typed in the browser's zone become epoch milliseconds for the server
// (and are shown in exchange time next to the form); a download's progress comes over /ws.
(function () {
  var CT = new Intl.DateTimeFormat("en-CA", {
    timeZone: "America/Chicago",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  });

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
      var a = new Date(from.value),
        b = new Date(to.value);
      if (!Number.isNaN(a.getTime()) && !Number.isNaN(b.getTime()))
        note.textContent = "Exchange time: " + CT.format(a) + " → " + CT.format(b) + " CT";
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
