// Every htmx request carries the session's CSRF token; forms carry it as a hidden field.
(function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!meta) return;
  var token = meta.getAttribute("content");
  document.addEventListener("htmx:config:request", function (evt) {
    evt.detail.ctx.request.headers["X-CSRF-Token"] = token;
  });
})();

// A failed request that htmx does not swap (server errors) is shown as a notice, never lost.
(function () {
  document.addEventListener("htmx:response:error", function (evt) {
    var ctx = evt.detail?.ctx;
    if (!ctx?.response || ctx.response.status < 500) return;
    var box = document.getElementById("toast");
    if (!box) {
      box = document.createElement("div");
      box.id = "toast";
      box.setAttribute("role", "alert");
      document.body.appendChild(box);
    }
    var text =
      String(ctx.text || "")
        .replace(/<[^>]*>/g, "")
        .trim() || "server error";
    box.textContent = text;
    box.hidden = false;
    clearTimeout(box._t);
    box._t = setTimeout(function () {
      box.hidden = true;
    }, 8000);
  });
  document.addEventListener("htmx:error", function () {
    var box =
      document.getElementById("toast") ||
      document.body.appendChild(Object.assign(document.createElement("div"), { id: "toast" }));
    box.setAttribute("role", "alert");
    box.textContent = "The server did not answer. Check the connection; nothing was changed by this click.";
    box.hidden = false;
  });
})();
