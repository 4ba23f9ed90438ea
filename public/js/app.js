// Every htmx request carries the session's CSRF token; forms carry it as a hidden field.
(function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!meta) return;
  var token = meta.getAttribute("content");
  document.addEventListener("htmx:config:request", function (evt) {
    evt.detail.ctx.request.headers["X-CSRF-Token"] = token;
  });
})();
