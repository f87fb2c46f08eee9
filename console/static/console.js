// Live updates: the server sends the page's redrawn live part as server-sent events.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.EventSource) { return; }
  var deciding = ["escalated", "human_owned"];
  function follow() {
    var root = live.querySelector("[data-state]");
    var form = document.getElementById("decide");
    if (root && form) { form.hidden = deciding.indexOf(root.getAttribute("data-state")) < 0; }
  }
  var source = new EventSource(live.getAttribute("data-events"));
  source.addEventListener("update", function (event) {
    live.innerHTML = event.data;
    live.setAttribute("data-updated", String(Date.now()));
    follow();
  });
  source.addEventListener("signed-out", function () {
    source.close();
    window.location.assign("/login");
  });
  follow();
})();
