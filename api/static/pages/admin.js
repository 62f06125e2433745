/* The copy button of a secret shown once (templates/admin_macros.html): a file, not an inline
   script, as the pages' Content-Security-Policy requires. Without scripts the button stays
   hidden and the read-only field is selected on focus, to copy by hand. */
(function () {
  "use strict";
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    var field = document.querySelector(button.dataset.copy);
    var status = button.closest(".secret").querySelector(".copy-status");
    if (!field) return;
    button.hidden = false;
    field.addEventListener("focus", function () { field.select(); });
    button.addEventListener("click", function () {
      function done(message) { if (status) status.textContent = message; }
      field.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(
          function () { done(button.dataset.copied); },
          function () { done(document.execCommand("copy") ? button.dataset.copied : button.dataset.failed); }
        );
      } else {
        done(document.execCommand("copy") ? button.dataset.copied : button.dataset.failed);
      }
    });
  });
})();
