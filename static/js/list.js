// List page, for its owner: remove a feature (POST /api/list/remove with the session).
"use strict";

(function () {
  var table = document.getElementById("list-features");
  var status = document.getElementById("list-page-status");
  if (!table) return;
  table.addEventListener("click", function (event) {
    var button = event.target.closest("button.remove");
    if (!button) return;
    if (!window.confirm("Remove " + button.dataset.layer + " · " + button.dataset.index + " from this list?")) return;
    button.disabled = true;
    NP.postJson("/api/list/remove", {
      listId: table.dataset.list,
      modelId: button.dataset.model,
      layer: button.dataset.layer,
      index: button.dataset.index,
    }).then(function (answer) {
      if (!answer.ok) {
        button.disabled = false;
        NP.setStatus(status, NP.errorMessage(answer, "remove the feature"), true);
        return;
      }
      var row = button.closest("tr");
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      // The header's count follows the server: one fewer.
      var count = document.getElementById("list-count");
      var left = Math.max(0, Number(count.dataset.count) - 1);
      count.dataset.count = String(left);
      count.textContent = left + " feature" + (left === 1 ? "" : "s");
      NP.setStatus(status, "Removed " + button.dataset.layer + " · " + button.dataset.index + ".", false);
      // Keep keyboard focus in the table rather than losing it with the removed row.
      var target = next && next.querySelector("button.remove");
      if (target) target.focus();
    }).catch(function () {
      button.disabled = false;
      NP.setStatus(status, "Could not reach the server.", true);
    });
  });
})();
