// A small offline OpenAPI browser: lists operations by tag, shows their parameters, bodies and
// responses, and sends requests with the X-Api-Key entered on the page.
(function () {
  "use strict";
  // Given on the script tag: the Content-Security-Policy allows no inline scripts.
  const schemaUrl = document.currentScript.dataset.schemaUrl;
  const keyInput = document.getElementById("api-key");
  keyInput.value = sessionStorage.getItem("np-api-key") || "";
  keyInput.addEventListener("change", () => sessionStorage.setItem("np-api-key", keyInput.value));

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else node.setAttribute(k, v);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function resolve(schema, spec, depth) {
    if (!schema || depth > 8) return schema;
    if (schema.$ref) return resolve(spec.components.schemas[schema.$ref.split("/").pop()], spec, depth + 1);
    return schema;
  }

  // An example body built from the schema: required and optional keys with placeholder values.
  function example(schema, spec, depth) {
    schema = resolve(schema, spec, depth || 0);
    if (!schema || (depth || 0) > 6) return null;
    if (schema.default !== undefined) return schema.default;
    if (schema.enum) return schema.enum[0];
    switch (schema.type) {
      case "object": {
        const out = {};
        for (const [k, v] of Object.entries(schema.properties || {})) {
          if (!v.readOnly) out[k] = example(v, spec, (depth || 0) + 1);
        }
        return out;
      }
      case "array": return [example(schema.items, spec, (depth || 0) + 1)];
      case "integer": return schema.minimum || 0;
      case "number": return 0;
      case "boolean": return false;
      default: return "";
    }
  }

  function operation(path, method, op, spec) {
    const secured = (op.security || []).every((s) => Object.keys(s).length > 0);
    const body = el("div", { class: "body" });
    if (op.description) body.append(el("p", {}, op.description));
    const params = (op.parameters || []).filter((p) => p.in === "path");
    const inputs = {};
    for (const p of params) {
      const id = `${op.operationId}-${p.name}`;
      inputs[p.name] = el("input", { id, size: "24" });
      body.append(el("p", {}, el("label", { for: id }, `${p.name} `), inputs[p.name],
        p.description ? el("span", { class: "muted" }, ` ${p.description}`) : ""));
    }
    let textarea = null;
    const requestSchema = op.requestBody && op.requestBody.content["application/json"];
    if (requestSchema) {
      const id = `${op.operationId}-body`;
      textarea = el("textarea", { id, rows: "8" });
      textarea.value = JSON.stringify(example(requestSchema.schema, spec), null, 2);
      body.append(el("label", { for: id }, "Request body (JSON)"), textarea);
    }
    body.append(el("p", { class: "muted" }, "Responses: " + Object.keys(op.responses || {}).join(", ")));
    const output = el("pre", { "aria-live": "polite" });
    const send = el("button", { type: "button" }, "Send");
    send.addEventListener("click", async () => {
      let url = path;
      for (const [name, input] of Object.entries(inputs)) {
        url = url.replace(`{${name}}`, encodeURIComponent(input.value));
      }
      const headers = {};
      if (keyInput.value) headers["X-Api-Key"] = keyInput.value;
      const init = { method: method.toUpperCase(), headers, credentials: "omit" };
      if (textarea) { headers["Content-Type"] = "application/json"; init.body = textarea.value; }
      output.textContent = "…";
      try {
        const response = await fetch(url, init);
        const text = await response.text();
        let shown = text;
        try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON */ }
        output.textContent = `${response.status} ${response.statusText}\n${shown}`;
      } catch (e) {
        output.textContent = String(e);
      }
    });
    body.append(send, output);
    const summary = el("summary", {}, el("span", { class: `method ${method}` }, method.toUpperCase()),
      el("span", { class: "path" }, path),
      el("span", { class: "lock" }, secured ? "API key required" : ""));
    return el("details", { class: "op" }, summary, body);
  }

  fetch(schemaUrl).then((r) => r.json()).then((spec) => {
    const byTag = new Map();
    for (const [path, item] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const tag = (op.tags || ["other"])[0];
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push(operation(path, method, op, spec));
      }
    }
    const root = document.getElementById("operations");
    root.replaceChildren();
    for (const tag of [...byTag.keys()].sort()) {
      root.append(el("h2", {}, tag), ...byTag.get(tag));
    }
  }).catch((e) => {
    document.getElementById("operations").textContent = `Could not load the schema: ${e}`;
  });
})();
