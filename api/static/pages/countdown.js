/* Ticks every countdown of the dashboard down once a second from the time left when the page
   was rendered. A file, not an inline script: the pages' Content-Security-Policy runs only
   this site's own scripts. The unit names come from the page's language (data-units). */
(function () {
  "use strict";
  var units = JSON.parse(document.currentScript.dataset.units);
  var started = Date.now();
  var items = Array.prototype.slice.call(document.querySelectorAll(".countdown[data-seconds]"));
  function format(total) {
    total = Math.max(0, Math.floor(total));
    var parts = [Math.floor(total / 86400), Math.floor(total % 86400 / 3600), Math.floor(total % 3600 / 60), total % 60];
    var i = 0; while (i < 3 && parts[i] === 0) i++;
    var out = []; for (; i < 4; i++) out.push(parts[i] + units[i]);
    return out.join(" ");
  }
  function tick() {
    var elapsed = (Date.now() - started) / 1000;
    items.forEach(function (el) { el.textContent = format(Number(el.dataset.seconds) - elapsed); });
  }
  if (items.length) setInterval(tick, 1000);
})();
