// The steer page: pick features, chat or complete, default and steered side by side.
// Streams /api/steer-chat/ and /api/steer/ (SSE frames, each the whole answer so far) through
// fetch + ReadableStream, so it works with POST bodies and the session's CSRF token.
"use strict";

(function () {
  const config = JSON.parse(document.getElementById("steer-config").textContent);
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);

  const state = {
    mode: "chat",
    features: [], // {modelId, layer, index, description, hasVector, strength}
    defaultMessages: [],
    steeredMessages: [],
    busy: false,
  };

  // -- features ----------------------------------------------------------------------------

  const keyOf = (f) => f.layer + "/" + f.index;

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([name, value]) => {
      if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value);
    });
    (children || []).forEach((child) => node.appendChild(child));
    return node;
  }

  function describe(f) {
    return (f.hasVector ? "Vector: " : "") + (f.description || "(no description)");
  }

  function addFeature(f, strength) {
    if (state.features.some((s) => keyOf(s) === keyOf(f))) {
      $("search-status").textContent = keyOf(f) + " is already selected.";
      return;
    }
    if (state.features.length && state.features[0].hasVector !== Boolean(f.hasVector)) {
      $("search-status").textContent =
        "Vectors and SAE features can't be steered together; remove the others first.";
      return;
    }
    state.features.push({
      modelId: f.modelId,
      layer: f.layer,
      index: String(f.index),
      description: f.description || "",
      hasVector: Boolean(f.hasVector),
      strength: strength !== undefined ? strength : f.defaultStrength ?? config.defaultStrength,
    });
    renderSelected();
    $("search-status").textContent = "Added " + keyOf(f) + ".";
  }

  // A preview of a result: its top activation, fetched when the reader opens it.
  function preview(f) {
    const details = el("details", {}, [el("summary", { text: "Preview" })]);
    const body = el("div", {});
    details.appendChild(body);
    details.addEventListener("toggle", async () => {
      if (!details.open || body.dataset.loaded) return;
      body.dataset.loaded = "1";
      body.textContent = "Loading…";
      const path = [f.modelId, f.layer, f.index].map(encodeURIComponent).join("/");
      try {
        const response = await fetch("/api/feature/" + path, { credentials: "same-origin" });
        if (!response.ok) throw new Error(response.statusText);
        const feature = await response.json();
        const top = (feature.activations || [])[0];
        body.replaceChildren(
          el("a", { href: "/" + path, target: "_blank", rel: "noopener", text: "Open the feature page" })
        );
        if (top) {
          const tokens = el("p", { class: "tokens" });
          const start = Math.max(0, top.maxValueTokenIndex - 8);
          const end = top.maxValueTokenIndex + 6;
          NP.renderTokens(tokens, top.tokens.slice(start, end), top.values.slice(start, end), top.maxValue);
          body.appendChild(tokens);
        } else {
          body.appendChild(el("p", { class: "muted", text: "No stored activations." }));
        }
      } catch (error) {
        body.textContent = "Could not load the preview.";
      }
    });
    return details;
  }

  function renderPicker(list, results) {
    list.replaceChildren(
      ...results.map((f) =>
        el("li", {}, [
          el("button", {
            type: "button",
            class: "link",
            text: "Add " + keyOf(f),
            "aria-label": "Add " + keyOf(f) + ": " + describe(f),
            onclick: () => addFeature(f),
          }),
          el("span", { class: "muted", text: " " + describe(f) }),
          preview(f),
        ])
      )
    );
  }

  function renderSelected() {
    const list = $("selected");
    list.replaceChildren(
      ...state.features.map((f, i) => {
        const id = "strength-" + i;
        const slider = el("input", {
          type: "range",
          min: "-100",
          max: "100",
          step: "1",
          value: String(f.strength),
          "aria-label": "Strength of " + keyOf(f),
        });
        const input = el("input", {
          id: id,
          type: "number",
          step: "any",
          min: "-300",
          value: String(f.strength),
        });
        const presets = el(
          "div",
          { class: "presets", role: "group", "aria-label": "Strength presets for " + keyOf(f) },
          config.presets.map((p) =>
            el("button", {
              type: "button",
              class: "secondary",
              text: p.label + " " + p.value,
              "aria-pressed": String(f.strength === p.value),
              onclick: () => setStrength(p.value),
            })
          )
        );
        function setStrength(value) {
          f.strength = value;
          input.value = String(value);
          slider.value = String(value);
          presets.querySelectorAll("button").forEach((button, n) =>
            button.setAttribute("aria-pressed", String(config.presets[n].value === value))
          );
        }
        slider.addEventListener("input", () => setStrength(Number(slider.value)));
        input.addEventListener("input", () => setStrength(Number(input.value)));
        return el("li", { "data-feature": keyOf(f) }, [
          el("label", { for: id, text: keyOf(f) + " " + describe(f) }),
          el("div", { class: "strength-row" }, [
            slider,
            input,
            el("button", {
              type: "button",
              class: "secondary small",
              text: "Remove",
              "aria-label": "Remove " + keyOf(f),
              onclick: () => {
                state.features.splice(i, 1);
                renderSelected();
                $("search-status").textContent = "Removed " + keyOf(f) + ".";
              },
            }),
          ]),
          presets,
        ]);
      })
    );
    $("selected-empty").hidden = state.features.length > 0;
  }

  async function search(query) {
    const status = $("search-status");
    status.textContent = "Searching…";
    const params = new URLSearchParams({ modelId: config.modelId, q: query });
    try {
      const response = await fetch("/api/feature-search?" + params, { credentials: "same-origin" });
      const body = await response.json();
      if (!response.ok) throw new Error(body.message || response.statusText);
      renderPicker($("search-results"), body.results);
      status.textContent = body.results.length + " result(s).";
    } catch (error) {
      status.textContent = "Search failed: " + error.message;
    }
  }

  // -- running -----------------------------------------------------------------------------

  function settings() {
    return {
      temperature: Number($("temperature").value),
      n_tokens: parseInt($("n-tokens").value, 10),
      strength_multiplier: Number($("strength-multiplier").value),
      seed: parseInt($("seed").value, 10),
      freq_penalty: Number($("freq-penalty").value),
      steer_method: $("steer-method").value,
      normalize_steering: $("normalize-steering").checked,
    };
  }

  function requestFeatures() {
    return state.features.map((f) => ({
      modelId: f.modelId,
      layer: f.layer,
      index: f.index,
      strength: f.strength,
    }));
  }

  // POST with `stream: true` and call onFrame for every SSE frame; returns the last one.
  async function postStream(url, body, onFrame) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "text/event-stream",
        "X-CSRFToken": csrfToken,
      },
      body: JSON.stringify(Object.assign({}, body, { stream: true })),
    });
    if (!response.ok) {
      // An error comes as JSON, or as one SSE event when the server honoured our Accept.
      const text = await response.text();
      let message = response.statusText;
      try {
        message = JSON.parse(text.replace(/^data:\s*/, "")).message || message;
      } catch (_) {
        // neither: keep the status text
      }
      throw new Error(message);
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let last = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).trim())
          .join("\n");
        if (!data) continue;
        const frame = JSON.parse(data);
        if (frame.error) throw new Error(frame.message || frame.error);
        last = frame;
        onFrame(frame);
      }
    }
    return last;
  }

  function renderChat(target, messages, note) {
    target.replaceChildren(
      el(
        "ol",
        { class: "chat" },
        messages.map((m) =>
          el("li", { class: "message " + m.role }, [
            el("span", { class: "role", text: m.role }),
            document.createTextNode(" " + m.content),
          ])
        )
      )
    );
    if (note) target.appendChild(el("p", { class: "muted", text: note }));
  }

  function renderCompletion(target, prompt, generated, note) {
    target.replaceChildren(
      el("p", { class: "completion" }, [
        el("span", { class: "prompt", text: prompt }),
        el("span", { class: "generated", text: generated || "" }),
      ])
    );
    if (note) target.appendChild(el("p", { class: "muted", text: note }));
  }

  function renderFrame(frame, prompt) {
    const sides = [
      ["DEFAULT", $("default-output"), state.defaultMessages],
      ["STEERED", $("steered-output"), state.steeredMessages],
    ];
    sides.forEach(([type, target, history]) => {
      const side = frame[type];
      const note = side === null ? "No features selected: not steered." : "";
      if (state.mode === "chat") {
        renderChat(target, side ? side.chatTemplate : history, note);
      } else {
        renderCompletion(target, prompt, side, note);
      }
    });
  }

  function showShare(frame) {
    const link = $("share-link");
    if (frame && frame.shareUrl) {
      link.href = frame.shareUrl;
      link.textContent = frame.shareUrl;
      $("share").hidden = false;
    }
  }

  function setBusy(busy, message) {
    state.busy = busy;
    $("send").disabled = busy;
    $("default-output").setAttribute("aria-busy", String(busy));
    $("steered-output").setAttribute("aria-busy", String(busy));
    $("run-status").textContent = message;
  }

  async function run(text) {
    if (state.busy) return;
    setBusy(true, "Generating…");
    $("share").hidden = true;
    const body = Object.assign(
      { modelId: config.modelId, features: requestFeatures() },
      settings()
    );
    let url = "/api/steer/";
    if (state.mode === "chat") {
      url = "/api/steer-chat/";
      body.defaultChatMessages = state.defaultMessages.concat([{ role: "user", content: text }]);
      body.steeredChatMessages = state.steeredMessages.concat([{ role: "user", content: text }]);
      body.steer_special_tokens = $("steer-special-tokens").checked;
    } else {
      body.prompt = text;
    }
    try {
      let frames = 0;
      const last = await postStream(url, body, (frame) => {
        frames += 1;
        renderFrame(frame, text);
        $("run-status").textContent = "Generating… (" + frames + " update" + (frames === 1 ? "" : "s") + " streamed)";
      });
      if (state.mode === "chat" && last) {
        state.defaultMessages = last.DEFAULT ? last.DEFAULT.chatTemplate : body.defaultChatMessages;
        // Unsteered turns continue the steered conversation too, so steering can start later.
        state.steeredMessages = last.STEERED ? last.STEERED.chatTemplate : state.defaultMessages;
        $("prompt").value = "";
      }
      showShare(last);
      setBusy(false, "Done.");
    } catch (error) {
      setBusy(false, "Steering failed: " + error.message);
    }
  }

  function reset() {
    state.defaultMessages = [];
    state.steeredMessages = [];
    $("default-output").replaceChildren();
    $("steered-output").replaceChildren();
    $("share").hidden = true;
    $("run-status").textContent = "Started a new conversation.";
  }

  function setMode(mode) {
    state.mode = mode;
    $("prompt-label").textContent = mode === "chat" ? "Message" : "Prompt";
    $("send").textContent = mode === "chat" ? "Send" : "Complete";
    $("reset").hidden = mode !== "chat";
    reset();
  }

  // A saved result (`?load=<id>` from a share page): its features, settings and conversation.
  async function load(id) {
    const response = await fetch("/api/steer-load", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify({ steerOutputId: id }),
    });
    if (!response.ok) return;
    const saved = await response.json();
    saved.features.forEach((f) =>
      addFeature(
        {
          modelId: f.modelId,
          layer: f.layer,
          index: f.index,
          hasVector: Boolean(f.neuron && f.neuron.hasVector),
          description: f.neuron
            ? f.neuron.vectorLabel || (f.neuron.explanations[0] || {}).description
            : "",
        },
        f.strength
      )
    );
    const s = saved.settings;
    $("temperature").value = s.temperature;
    $("n-tokens").value = s.n_tokens;
    $("strength-multiplier").value = s.strength_multiplier;
    $("seed").value = s.seed;
    $("freq-penalty").value = s.freq_penalty;
    $("steer-method").value = s.steer_method;
    $("steer-special-tokens").checked = s.steer_special_tokens;
    $("normalize-steering").checked = Boolean(s.normalize_steering);
    const mode = saved.isChat ? "chat" : "completion";
    document.querySelector('input[name="mode"][value="' + mode + '"]').checked = true;
    setMode(mode);
    if (saved.isChat) {
      state.defaultMessages = saved.DEFAULT ? saved.DEFAULT.chatTemplate : [];
      state.steeredMessages = saved.STEERED ? saved.STEERED.chatTemplate : state.defaultMessages;
      renderFrame(saved, "");
    } else {
      $("prompt").value = saved.inputText;
      renderFrame(saved, saved.inputText);
    }
    showShare(saved);
    $("run-status").textContent = "Loaded a saved result.";
  }

  // -- wiring ------------------------------------------------------------------------------

  $("feature-search").addEventListener("submit", (event) => {
    event.preventDefault();
    const query = $("feature-query").value.trim();
    if (query) search(query);
  });
  $("run-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("prompt").value;
    if (text.trim()) run(text);
  });
  $("prompt").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      $("run-form").requestSubmit();
    }
  });
  $("reset").addEventListener("click", reset);
  document.querySelectorAll('input[name="mode"]').forEach((input) =>
    input.addEventListener("change", () => setMode(input.value))
  );

  renderPicker($("vector-list"), config.vectors);
  $("vector-empty").hidden = config.vectors.length > 0;
  renderSelected();
  if (config.load) load(config.load);
  else if (config.preselect) addFeature(config.preselect);
})();
