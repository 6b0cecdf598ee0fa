// One playground for a class (docs/classroom.md): the page's choice of server ("Server
// address", kept in the URL as ?target= so it can be bookmarked), the name a student gives
// their session (kept in localStorage), and the page's viewer key, a random string sent on
// /ws and /events so the server view can tell this page's requests from everyone else's.
//
// All three travel as query parameters of every bridge URL (connection.js `pageParams`):
// set here once when the module loads, before the page opens its first WebSocket.

import { bridgeUrl, pageParams } from "./connection.js";
import { t } from "./i18n.js";

const NAME_KEY = "playground.name";

function randomKey() {
  // crypto.getRandomValues works on plain http:// too (a lab's http://10.0.0.1:8080/);
  // crypto.randomUUID needs a secure context.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function storedName() {
  try {
    return localStorage.getItem(NAME_KEY) || "";
  } catch {
    return "";  // storage blocked: the name lasts as long as the page
  }
}

function storeName(name) {
  try {
    if (name) localStorage.setItem(NAME_KEY, name);
    else localStorage.removeItem(NAME_KEY);
  } catch {
    // storage blocked: nothing to keep
  }
}

/** The ?target= of a page URL ("" for none). */
export function targetOf(href) {
  return new URL(href).searchParams.get("target")?.trim() ?? "";
}

/** `href` with ?target= set to `target` (removed when empty), other parameters kept. */
export function withTarget(href, target) {
  const url = new URL(href);
  if (target) url.searchParams.set("target", target);
  else url.searchParams.delete("target");
  return url.href;
}

/** HOST:PORT as a command line should name it: never 0.0.0.0 or ::, which mean "every
 * address" to a listener and nothing useful to a client: the address the browser used. */
export function reachableHost(host, pageHost = location.hostname) {
  const bare = String(host ?? "").replace(/^\[|\]$/g, "");
  if (bare === "0.0.0.0" || bare === "::" || bare === "") return pageHost.replace(/^\[|\]$/g, "");
  return bare;
}

/** [host, port] of a HOST:PORT text (IPv6 in brackets), host made reachable. */
export function splitBackend(backend, pageHost = location.hostname) {
  const text = String(backend ?? "");
  const cut = text.lastIndexOf(":");
  if (cut < 0) return [reachableHost(text, pageHost), ""];
  return [reachableHost(text.slice(0, cut), pageHost), text.slice(cut + 1)];
}

/** The settings as the page shows and reports them: with a chosen target, the server is
 * that one (a foreign server, like --backend's), not the playground's own service. */
export function configFor(config, state, target = pageParams.target) {
  if (!config || !target || !state?.backend || state.backend === config.backend) return config;
  return { ...config, backend: state.backend, external_backend: true };
}

// Set before main.js builds its Connection: the first WebSocket already carries them.
pageParams.viewer = randomKey();
pageParams.label = storedName();
pageParams.target = targetOf(location.href);

export class TargetChoice {
  constructor({ form, targetRow, targetInput, nameInput, classRow, classList, note, connection,
                onTarget }) {
    Object.assign(this, { form, targetRow, targetInput, nameInput, classRow, classList, note,
                          connection, onTarget });
    this.refusal = "";
    this.targetInput.value = pageParams.target;
    this.nameInput.value = pageParams.label;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.apply();
    });
    // Choosing a name from the class list is typing it and pressing Enter.
    this.classList.addEventListener("change", () => {
      if (!this.classList.value) return;
      this.targetInput.value = this.classList.value;
      this.apply();
    });
    connection.addEventListener("closed", (event) => {
      this.refusal = event.detail.code === 1008 ? event.detail.reason || "1008" : "";
      this.render();
    });
    connection.addEventListener("state", (event) => {
      if (event.detail.phase === "connected" && this.refusal) {
        this.refusal = "";
        this.render();
      }
    });
  }

  /** Show the field when the server allows targets (with the class names, if any). */
  configure(config) {
    const shared = Boolean(config?.targets_allowed) || config?.server_view === "own";
    this.form.hidden = !shared;
    this.targetRow.hidden = !config?.targets_allowed;
    this.names = config?.targets_allowed ? config.class_names ?? [] : [];
    this.classRow.hidden = this.names.length === 0;
    this.renderClassList();
    if (pageParams.target) this.onTarget?.(pageParams.target);
    this.render();
  }

  /** Enter: the new target and name go into the URL and the bridge URL; reconnect there. */
  apply() {
    const target = this.targetInput.value.trim();
    const name = this.nameInput.value.trim();
    storeName(name);
    if (target === pageParams.target && name === pageParams.label) return;
    pageParams.target = target;
    pageParams.label = name;
    window.history.replaceState(null, "", withTarget(location.href, target));
    this.refusal = "";
    this.render();
    if (target) this.onTarget?.(target);
    this.connection.restart(bridgeUrl());
  }

  /** The class file's names, and a first entry that chooses none. */
  renderClassList() {
    const fragment = document.createDocumentFragment();
    for (const name of ["", ...(this.names ?? [])]) {
      const option = document.createElement("option");
      option.value = name;
      option.textContent = name || t("target.pick");
      fragment.append(option);
    }
    this.classList.replaceChildren(fragment);
    const chosen = (this.names ?? []).find((n) => n.toLowerCase() === pageParams.target.toLowerCase());
    this.classList.value = chosen ?? "";
  }

  render() {
    if (this.names?.length) this.renderClassList();
    if (this.refusal) {
      this.note.textContent = t("target.refused", { reason: this.refusal });
      this.note.dataset.kind = "error";
      this.targetInput.setAttribute("aria-invalid", "true");
    } else {
      this.note.textContent = t(pageParams.target ? "target.chosen" : "target.none",
                                { target: pageParams.target });
      delete this.note.dataset.kind;
      this.targetInput.removeAttribute("aria-invalid");
    }
  }
}
