// Small progressive enhancements for the web app; every page works without this file.
(function () {
  "use strict";
  // Changing the survey on the dashboard reloads it at once (the Update button still works).
  document.querySelectorAll("select.autosubmit").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) { select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit(); }
    });
  });
  // Secrets shown once are selected on focus, ready to copy.
  document.querySelectorAll("input.copyable").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
})();
