// The conversation log: a store (the truth, capped, exportable) and a view (the DOM).
//
// The store keeps the last `cap` entries and counts the ones it dropped. The view renders
// in batches on animation frames, so a flood of replies costs one layout per frame; it
// writes text only with textContent, follows the newest entry unless the reader scrolled
// up, and then offers a button to jump back down.

import { formatMs, formatNumber, t } from "./i18n.js";
import { renderWire, wireBytes } from "./bytes.js";
import { zonedTime } from "./lab-report.js";

export const LOG_CAP = 1000;
const DISPLAY_LIMIT = 2000; // characters of one message shown in the log
const FOLLOW_SLACK_PX = 32;

export class LogStore extends EventTarget {
  constructor(cap = LOG_CAP) {
    super();
    this.cap = cap;
    this.entries = [];
    this.dropped = 0;
    this.nextSeq = 1;
  }

  /** Append an entry ({kind: "request" | "reply" | "event", ...}); stamps seq and time. */
  add(entry) {
    entry.seq = this.nextSeq++;
    entry.time ??= Date.now();
    const last = this.entries[this.entries.length - 1];
    if (entry.kind === "event" && last?.kind === "event" && last.type === entry.type &&
        JSON.stringify(last.params) === JSON.stringify(entry.params)) {
      last.count = (last.count || 1) + 1;
      last.time = entry.time;
      this.emitChange({ updated: [last] });
      return last;
    }
    this.entries.push(entry);
    let removed = [];
    if (this.entries.length > this.cap) {
      removed = this.entries.splice(0, this.entries.length - this.cap);
      this.dropped += removed.length;
    }
    this.emitChange({ added: [entry], removed });
    return entry;
  }

  update(entry) {
    this.emitChange({ updated: [entry] });
  }

  clear() {
    this.entries = [];
    this.dropped = 0;
    this.emitChange({ cleared: true });
  }

  emitChange(detail) {
    this.dispatchEvent(new CustomEvent("change", { detail }));
  }
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

function shown(text) {
  const value = String(text ?? "");
  return value.length > DISPLAY_LIMIT
    ? value.slice(0, DISPLAY_LIMIT) + t("entry.truncated", { n: formatNumber(value.length) })
    : value;
}

function codeName(code) {
  const key = `code.${code}`;
  const name = t(key);
  return name === key ? t("code.other") : name;
}

// The bridge's close reasons are English (they are the wire's); shown in the page's language.
const REASONS = [
  [/^backend unreachable: (.*)$/, "reason.unreachable"],
  [/^backend closed the connection without replying$/, "end.closed_without_reply"],
  [/^backend closed the connection$/, "reason.backendClosed"],
  [/^backend connection lost: (.*)$/, "reason.lost"],
  [/^backend did not reply in time$/, "end.timeout"],
  [/^server shutting down$/, "reason.shutdown"],
];

/** A close reason in the page's language (the original kept in brackets when translated). */
export function reasonWords(reason) {
  for (const [pattern, key] of REASONS) {
    const match = pattern.exec(reason ?? "");
    if (match) return t(key, { detail: match[1] ?? "" });
  }
  return reason;
}

/** Words for a lifecycle event entry, in the page's current language. */
export function eventText(entry) {
  const p = entry.params || {};
  let text;
  if (entry.type === "closed") {
    text = t("event.closed", { code: p.code, codeName: codeName(p.code),
                               reason: reasonWords(p.reason) || t("reason.none") });
  } else {
    text = t(`event.${entry.type}`, p);
  }
  return entry.count > 1 ? `${text} ${t("event.repeat", { n: entry.count })}` : text;
}

/** The reply's words: the JSON message (or error) when it parses, else the line as it came. */
export function replyText(entry) {
  const json = entry.json;
  if (json && typeof json === "object") {
    if (json.ok === true && typeof json.message === "string") return json.message;
    if (json.ok === false && json.error) {
      return `${json.error.code ?? "error"}: ${json.error.message ?? ""}`;
    }
  }
  return entry.line ?? "";
}

function resultText(json) {
  if (!json || json.ok !== true || !json.result) return "";
  const r = json.result;
  if (json.handler === "parity" && "parity" in r) {
    return t(r.digits === 1 ? "result.parity.one" : "result.parity",
             { parity: t(`result.${r.parity}`), digits: formatNumber(r.digits ?? 0) });
  }
  if (json.handler === "length" && "characters" in r) {
    return t("result.length", { characters: formatNumber(r.characters),
                                bytes: formatNumber(r.bytes), graphemes: formatNumber(r.graphemes) });
  }
  return "";
}

export class LogView {
  /**
   * @param {object} o
   * @param {LogStore} o.store
   * @param {HTMLElement} o.scroller  the role=log element (it scrolls)
   * @param {HTMLOListElement} o.list
   * @param {HTMLElement} o.droppedNote
   * @param {HTMLElement} o.emptyNote
   * @param {HTMLButtonElement} o.jumpButton
   * @param {(entry) => void} o.onCommand  copies a request as a terminal command
   */
  constructor(o) {
    Object.assign(this, o);
    this.nodes = new Map(); // seq -> li
    this.bytes = false;
    this.follow = true;
    this.unseen = 0;
    this.pending = { added: [], updated: new Set(), removed: [], cleared: false, all: false };
    this.frame = 0;
    this.store.addEventListener("change", (event) => this.collect(event.detail));
    this.scroller.addEventListener("scroll", () => this.onScroll(), { passive: true });
    this.jumpButton.addEventListener("click", () => this.jumpToLatest());
    this.renderAll();
  }

  setBytes(on) {
    this.bytes = on;
    this.scroller.classList.toggle("show-bytes", on);
    this.pending.all = true;
    this.schedule();
  }

  rerender() {
    this.pending.all = true;
    this.schedule();
  }

  collect(detail) {
    const p = this.pending;
    if (detail.cleared) {
      p.cleared = true; p.added = []; p.updated.clear(); p.removed = [];
    }
    if (detail.added) p.added.push(...detail.added);
    if (detail.removed) p.removed.push(...detail.removed);
    if (detail.updated) for (const e of detail.updated) p.updated.add(e);
    this.schedule();
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.frame = 0;
    const p = this.pending;
    this.pending = { added: [], updated: new Set(), removed: [], cleared: false, all: false };
    if (p.all || p.cleared) {
      this.renderAll();
      return;
    }
    const heightBefore = this.scroller.scrollHeight;
    for (const entry of p.removed) {
      this.nodes.get(entry.seq)?.remove();
      this.nodes.delete(entry.seq);
    }
    if (!this.follow && p.removed.length) {
      // Keep what the reader is looking at in place while old entries leave the top.
      this.scroller.scrollTop -= heightBefore - this.scroller.scrollHeight;
    }
    const firstSeq = this.store.entries[0]?.seq ?? Infinity;
    const fragment = document.createDocumentFragment();
    let added = 0;
    for (const entry of p.added) {
      if (entry.seq < firstSeq || this.nodes.has(entry.seq)) continue;
      const node = this.renderEntry(entry);
      this.nodes.set(entry.seq, node);
      fragment.append(node);
      added += 1;
    }
    this.list.append(fragment);
    for (const entry of p.updated) {
      const old = this.nodes.get(entry.seq);
      if (!old || !old.isConnected) continue;
      const node = this.renderEntry(entry);
      old.replaceWith(node);
      this.nodes.set(entry.seq, node);
    }
    this.afterRender(added);
  }

  renderAll() {
    this.list.textContent = "";
    this.nodes.clear();
    const fragment = document.createDocumentFragment();
    for (const entry of this.store.entries) {
      const node = this.renderEntry(entry);
      this.nodes.set(entry.seq, node);
      fragment.append(node);
    }
    this.list.append(fragment);
    this.afterRender(0);
  }

  afterRender(added) {
    const dropped = this.store.dropped;
    this.droppedNote.hidden = dropped === 0;
    if (dropped) {
      this.droppedNote.textContent = t("log.dropped", { n: formatNumber(dropped),
                                                         cap: formatNumber(this.store.cap) });
    }
    this.emptyNote.hidden = this.store.entries.length > 0;
    if (this.follow) {
      this.scroller.scrollTop = this.scroller.scrollHeight;
      this.unseen = 0;
    } else {
      this.unseen += added;
    }
    this.updateJump();
  }

  onScroll() {
    const s = this.scroller;
    const atBottom = s.scrollTop + s.clientHeight >= s.scrollHeight - FOLLOW_SLACK_PX;
    if (atBottom !== this.follow) {
      this.follow = atBottom;
      if (atBottom) this.unseen = 0;
      this.updateJump();
    }
  }

  updateJump() {
    const show = !this.follow;
    this.jumpButton.hidden = !show;
    if (show) this.jumpButton.textContent = t("log.jump", { n: formatNumber(this.unseen) });
  }

  jumpToLatest() {
    this.follow = true;
    this.unseen = 0;
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.updateJump();
  }

  renderEntry(entry) {
    const li = el("li", `entry entry-${entry.kind}`);
    li.dataset.seq = entry.seq;
    const meta = el("div", "meta");
    const time = el("time", "time", zonedTime(entry.time));
    time.dateTime = new Date(entry.time).toISOString();
    meta.append(time);
    if (entry.kind === "request") this.renderRequest(li, meta, entry);
    else if (entry.kind === "reply") this.renderReply(li, meta, entry);
    else this.renderEvent(li, meta, entry);
    if (this.filter && !this.filter(entry, li)) li.hidden = true;
    return li;
  }

  /** Show only entries for which `filter(entry, li)` is true (null: all). The entries
   * already shown are only hidden or shown again (typing a search rebuilds nothing);
   * entries rendered later apply the filter in renderEntry. */
  setFilter(filter) {
    this.filter = filter;
    for (const entry of this.store.entries) {
      const li = this.nodes.get(entry.seq);
      if (li) li.hidden = Boolean(filter) && !filter(entry, li);
    }
    this.afterRender(0); // follow the latest entry, as a full render does
  }

  direction(meta, arrow, word, className) {
    const dir = el("span", `dir ${className}`);
    dir.append(el("span", "arrow", arrow), document.createTextNode(` ${word}`));
    meta.append(dir);
  }

  renderRequest(li, meta, entry) {
    this.direction(meta, "→", t("entry.sent"), "dir-out");
    meta.append(el("span", "num", `#${entry.number}`));
    meta.append(el("span", "badge", entry.mode));
    if (entry.end) meta.append(el("span", "note", t(`ending.short.${entry.end}`)));
    const stateWords = {
      queued: t("entry.queued"), sending: t("entry.sending"),
      lost: entry.lostHow ? t(`entry.lost.${entry.lostHow}`) : t("entry.lost"),
    };
    if (stateWords[entry.state]) {
      meta.append(el("span", `state state-${entry.state}`, stateWords[entry.state]));
    }
    if (entry.waitedMs > 50 && entry.state !== "queued") {
      meta.append(el("span", "note", t("entry.queuedFor", { s: formatNumber(entry.waitedMs / 1000, 1) })));
    }
    if (entry.state === "queued") li.classList.add("is-queued");
    if (entry.state === "lost") li.classList.add("is-error");
    const command = el("button", "tool", t("entry.command"));
    command.type = "button";
    command.title = t("entry.commandTitle");
    command.addEventListener("click", () => this.onCommand(entry));
    meta.append(command);
    li.append(meta, el("div", "body", shown(entry.text)));
    this.renderWireBlock(li, entry.wire, null, entry.wireBytes, null);
  }

  renderReply(li, meta, entry) {
    this.direction(meta, "←", t("entry.received"), "dir-in");
    if (entry.number != null) meta.append(el("span", "num", `#${entry.number}`));
    if (entry.rtt != null) meta.append(el("span", "rtt", t("entry.rtt", { ms: formatMs(entry.rtt) })));
    if (entry.since != null) meta.append(el("span", "since", t("entry.since", { ms: formatMs(entry.since) })));
    if (entry.rejected) meta.append(el("span", "note", t("entry.rejected")));
    else if (entry.number == null) meta.append(el("span", "note", t("entry.unmatched")));
    if (entry.error) {
      li.classList.add("is-error");
      meta.append(el("span", "badge badge-error", t("entry.error")));
    }
    li.append(meta, el("div", "body", shown(replyText(entry))));
    const result = resultText(entry.json);
    if (result) li.append(el("div", "result", result));
    this.renderWireBlock(li, entry.rejected ? null : entry.wire, entry.hex, entry.bytes, entry.end);
    if (entry.json) {
      const toggle = el("button", "tool", t("entry.json"));
      toggle.type = "button";
      toggle.setAttribute("aria-expanded", String(Boolean(entry.expanded)));
      toggle.addEventListener("click", () => {
        entry.expanded = !entry.expanded;
        this.store.update(entry);
      });
      meta.append(toggle);
      if (entry.expanded) li.append(el("pre", "json", JSON.stringify(entry.json, null, 2)));
    }
  }

  renderEvent(li, meta, entry) {
    this.direction(meta, "•", t("entry.event"), "dir-event");
    const bad = entry.type === "error" || entry.type === "backend_refused" ||
      entry.type.startsWith("unreachable_") ||
      (entry.type.startsWith("end_") && entry.type !== "end_closed") ||
      (entry.type === "closed" && entry.params?.code !== 1000);
    if (bad) {
      li.classList.add("is-error");
      meta.append(el("span", "badge badge-error", t("entry.error")));
    }
    li.append(meta, el("div", "body", eventText(entry)));
  }

  renderWireBlock(li, wire, hex, size, end) {
    if (!this.bytes) return;
    const block = el("div", "wire");
    if (wire == null && !hex) {
      block.append(el("span", "wire-none", t("entry.noWire")));
    } else {
      const bytes = wireBytes(wire, hex);
      renderWire(block, bytes, (n) => t("entry.wireMore", { n: formatNumber(n) }));
      const facts = [t("entry.wireBytes", { n: formatNumber(size ?? bytes.length) })];
      if (end) facts.push(t(`entry.wireEnd.${end}`));
      block.append(el("span", "wire-size", facts.join(" · ")));
    }
    li.append(block);
  }
}
