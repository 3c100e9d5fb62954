// Shared helpers for the site's pages: JSON POSTs to our API with the session (and CSRF),
// readable error messages, and activation shading that matches the server-rendered pages.
"use strict";

window.NP = (function () {
  // Shading steps, as features/pages/feature.py SHADE_LEVELS: classes shade-1 .. shade-20 of
  // static/css/site.css (the Content-Security-Policy allows no inline style attributes).
  var SHADE_LEVELS = 20;

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Resolves to {ok, status, data}; never rejects on HTTP errors, only on network failure.
  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function serverMessage(data) {
    if (!data) return "";
    var text = String(data.message || data.error || "").trim();
    return text && !/[.!?]$/.test(text) ? text + "." : text;
  }

  // One message per failure a page can meet; `what` names the action ("test your text").
  function errorMessage(result, what) {
    var detail = serverMessage(result.data);
    switch (result.status) {
      case 503:
        return "No inference worker is running for this model, so we can't " + what +
          " right now. Ask the operator to start one (python manage.py run_worker --model ...)." +
          (detail ? " Server said: " + detail : "");
      case 504:
        return "The inference worker did not answer in time. Please try again.";
      case 401:
      case 403:
        return "You need to be logged in to " + what + "." + (detail ? " " + detail : "");
      case 404:
        return "Not available on this server. " + (detail || "Not found.");
      case 429:
        return "Too many requests; please wait a little and try again.";
      default:
        return "Could not " + what + " (error " + result.status + ")." + (detail ? " " + detail : "");
    }
  }

  function formatValue(value) {
    return Math.abs(value) < 10 ? value.toFixed(3) : value.toFixed(1);
  }

  // Fills `container` with one span per token, shaded by value / maxValue, value on hover
  // (title) and on focus (data-v, shown by CSS), newlines as ↵.
  function renderTokens(container, tokens, values, maxValue) {
    container.textContent = "";
    var top = values.indexOf(Math.max.apply(null, values));
    tokens.forEach(function (token, i) {
      var value = values[i] || 0;
      var span = document.createElement("span");
      var alpha = maxValue > 0 ? Math.min(Math.max(value / maxValue, 0), 1) : 0;
      var shade = alpha > 0 ? Math.max(1, Math.round(alpha * SHADE_LEVELS)) : 0;
      span.className = "tok" + (shade ? " shade-" + shade : "") + (i === top ? " max" : "");
      var isBreak = token === "\n" || token === "\r\n";
      span.textContent = isBreak ? "↵" : token;
      span.title = formatValue(value);
      if (value > 0) {
        span.tabIndex = 0;
        span.setAttribute("data-v", formatValue(value));
      }
      container.appendChild(span);
      if (isBreak) container.appendChild(document.createElement("br"));
    });
  }

  function setStatus(element, text, isError) {
    element.textContent = text;
    element.classList.toggle("error", Boolean(isError));
  }

  return {
    postJson: postJson,
    errorMessage: errorMessage,
    formatValue: formatValue,
    renderTokens: renderTokens,
    setStatus: setStatus,
  };
})();
