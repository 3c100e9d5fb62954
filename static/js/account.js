// Account page: a Copy button for a new API key, a confirmation before rotating it, and the
// LLM keys (POST /api/user/api-key-update; the page only ever shows a key's first characters).
"use strict";

(function () {
  var button = document.getElementById("copy-key");
  if (button && navigator.clipboard) {
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(document.getElementById("api-key").textContent).then(function () {
        button.textContent = "Copied";
      });
    });
  }

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  document.querySelectorAll("form.llm-key").forEach(function (form) {
    var input = form.querySelector("input");
    var state = form.querySelector(".llm-key-state");
    var clear = form.querySelector(".llm-clear");
    var status = form.querySelector(".llm-status");
    var send = function (value) {
      NP.setStatus(status, value ? "Checking the key with the provider…" : "Removing…", false);
      return NP.postJson("/api/user/api-key-update", { type: form.dataset.type, value: value }).then(function (answer) {
        if (!answer.ok) {
          NP.setStatus(status, NP.errorMessage(answer, "save the key"), true);
          return;
        }
        input.value = "";
        state.textContent = "";
        if (value) {
          state.appendChild(document.createTextNode("set: "));
          var code = document.createElement("code");
          code.textContent = value.slice(0, 6) + "…";
          state.appendChild(code);
        } else {
          state.textContent = "not set";
        }
        clear.hidden = !value;
        NP.setStatus(status, value ? "Saved." : "Removed.", false);
      }).catch(function () {
        NP.setStatus(status, "Could not reach the server.", true);
      });
    };
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = input.value.trim();
      if (!value) {
        NP.setStatus(status, "Paste a key first.", true);
        return;
      }
      send(value);
    });
    clear.addEventListener("click", function () {
      if (window.confirm("Remove your " + form.dataset.label + " key?")) send("");
    });
  });
})();
