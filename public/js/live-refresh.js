// Elements marked data-live-refresh="/url" are re-rendered by the server when one of the
// user's positions changes anywhere (another browser, the API, an automatic rule).
(function () {
  var timer = null;
  function refresh() {
    document.querySelectorAll("[data-live-refresh]").forEach(function (el) {
      htmx.ajax("GET", el.getAttribute("data-live-refresh") + location.search, {
        target: "#" + el.id,
        swap: "outerHTML",
      });
    });
  }
  function soon() {
    clearTimeout(timer);
    // One render for a burst (an order with its bracket announces several changes at once),
    // short enough that a change shows within the 100 ms the desk promises.
    timer = setTimeout(refresh, 30);
  }
  document.addEventListener("live:position", soon);
  var opened = false;
  document.addEventListener("live:open", function () {
    if (opened) soon();
    opened = true;
  });
})();
