// Account page: a Copy button for a new API key, only where the clipboard API exists.
"use strict";

(function () {
  var button = document.getElementById("copy-key");
  if (!button || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(document.getElementById("api-key").textContent).then(function () {
      button.textContent = "Copied";
    });
  });
})();
