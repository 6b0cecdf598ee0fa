// The server's side of the conversation, fed by the /events WebSocket: which clients are
// connected (bridge sessions and raw TCP clients), which is served and which waits under
// --single, and a console that prints each request as the lab sheet's server does:
//     Request dari client : 42 IP client : ('127.0.0.1', 50412)

import { bridgeUrl } from "./connection.js";
import { parseJsonObject } from "./json.js";
import { formatMs, formatNumber, t } from "./i18n.js";

const CONSOLE_CAP = 300;
const RETRY_MS = [250, 500, 1000, 2000, 4000];

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

/** "127.0.0.1:50412" -> "('127.0.0.1', 50412)", the way Python prints an address tuple. */
export function pythonAddress(peer) {
  const text = String(peer ?? "");
  const cut = text.lastIndexOf(":");
  if (cut < 0) return `('${text}')`;
  const host = text.slice(0, cut).replace(/^\[|\]$/g, "");
  const port = text.slice(cut + 1);
  return /^\d+$/.test(port) ? `('${host}', ${port})` : `('${text}')`;
}

/** What the client asked: the text of a JSON request, else the request line itself. */
export function askedText(request) {
  const line = String(request ?? "");
  const value = parseJsonObject(line);  // abbreviated or not JSON: shown as it came
  return value && typeof value.text === "string" ? value.text : line;
}

function replyWords(reply) {
  const line = String(reply ?? "");
  const value = parseJsonObject(line);  // not JSON: shown as it came
  if (value?.ok === true && typeof value.message === "string") return value.message;
  if (value?.ok === false && value.error) return `ERR ${value.error.code}: ${value.error.message}`;
  return line;
}

export class ServerView extends EventTarget {
  constructor({ modeNote, clientList, noClients, consoleList, feedNote, intro = null }) {
    super();
    Object.assign(this, { modeNote, clientList, noClients, consoleList, feedNote, intro });
    this.connections = new Map(); // conn -> {conn, peer, label, state, position, asked}
    this.lines = [];              // {kind, text}
    this.single = false;
    this.external = false;
    this.backend = "";
    this.live = false;
    this.attempt = 0;
    this.frame = 0;
  }

  start() {
    this.connect();
    this.render();
  }

  setBackend(backend) {
    this.backend = backend || "";
    this.schedule();
  }

  connect() {
    const socket = new WebSocket(bridgeUrl("/events"));
    socket.addEventListener("open", () => {
      this.live = true;
      this.attempt = 0;
      this.schedule();
    });
    socket.addEventListener("message", (event) => {
      const message = parseJsonObject(event.data);
      if (message === null) return;
      this.apply(message);
      this.dispatchEvent(new CustomEvent("event", { detail: message }));
    });
    socket.addEventListener("close", () => {
      this.live = false;
      this.schedule();
      const delay = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)];
      this.attempt += 1;
      setTimeout(() => this.connect(), delay);
    });
  }

  addLine(kind, text) {
    this.lines.push({ kind, text });
    if (this.lines.length > CONSOLE_CAP) this.lines.splice(0, this.lines.length - CONSOLE_CAP);
  }

  apply(message) {
    const conns = this.connections;
    switch (message.type) {
      case "snapshot":
        this.single = Boolean(message.single);
        this.external = Boolean(message.external_backend);
        conns.clear();
        for (const c of message.connections || []) {
          conns.set(c.conn, { conn: c.conn, peer: c.peer, label: c.label ?? null,
                              state: c.state || "served", position: c.position ?? null, asked: [] });
        }
        break;
      case "open":
        conns.set(message.conn, { conn: message.conn, peer: message.peer, label: message.label ?? null,
                                  state: message.state || "served", position: message.position ?? null,
                                  asked: [] });
        this.addLine("note", t(message.foreign ? "server.foreignOpened" : "server.opened",
                               { conn: message.conn, peer: pythonAddress(message.peer) }));
        break;
      case "waiting": {
        const c = conns.get(message.conn);
        if (c) { c.state = "waiting"; c.position = message.position ?? null; }
        break;
      }
      case "served": {
        const c = conns.get(message.conn);
        if (c) { c.state = "served"; c.position = null; }
        break;
      }
      case "request": {
        const c = conns.get(message.conn);
        const peer = message.peer ?? c?.peer;
        const asked = askedText(message.request);
        if (c) {
          c.asked.push(asked);
          if (c.asked.length > 3) c.asked.shift();
        }
        this.addLine("request", `Request dari client : ${asked} IP client : ${pythonAddress(peer)}`);
        if (message.reply != null) {
          const words = replyWords(message.reply);
          const line = message.ms != null
            ? t("server.answeredIn", { reply: words, ms: formatMs(message.ms) })
            : t("server.reply", { reply: words });
          this.addLine(/^ERR\b/.test(words) ? "reply error" : "reply", line);
        }
        break;
      }
      case "close": {
        conns.delete(message.conn);
        const reason = this.external && message.reason ? t(`server.end.${message.reason}`) : message.reason;
        const bad = this.external && !["closed", "websocket closed"].includes(message.reason);
        this.addLine(bad ? "note error" : "note", t("server.closed", { conn: message.conn, reason: reason ?? "" }));
        break;
      }
      case "skipped":
        this.addLine("note", t("server.skipped", { n: formatNumber(message.count ?? 0) }));
        break;
      case "dropped":
        this.addLine("note error", t("server.dropped", { n: formatNumber(message.count ?? 0) }));
        break;
      default:
        return;
    }
    this.schedule();
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(); });
  }

  clientLabel(c) {
    return c.label ? `WebSocket “${c.label}”` : t("server.tcpClient");
  }

  /** The console as plain text lines (for the lab report). */
  consoleText() {
    return this.lines.map((line) => line.text);
  }

  render() {
    // A foreign server's concurrency is unknown here: nothing is claimed about it.
    this.modeNote.textContent = this.external ? ""
      : this.single ? t("server.modeSingle") : t("server.modeMany");
    this.modeNote.hidden = this.external;
    if (this.intro) {
      this.intro.textContent = this.external
        ? t("server.foreignIntro", { backend: this.backend || "?" }) : t("server.intro");
    }
    this.feedNote.textContent = this.live ? t("server.feedLive") : t("server.feedDown");
    this.feedNote.dataset.live = String(this.live);

    const sorted = [...this.connections.values()].sort((a, b) => a.conn - b.conn);
    const fragment = document.createDocumentFragment();
    for (const c of sorted) {
      const li = el("li", `client client-${c.state}`);
      const head = el("div", "client-head");
      head.append(el("span", "client-num", `#${c.conn}`), el("span", "client-who", this.clientLabel(c)),
                  el("span", "client-peer", c.peer ?? ""));
      const badge = el("span", `badge badge-${c.state}`,
                       c.state === "waiting" ? t("server.waiting")
                         : c.state === "connected" ? t("server.connected") : t("server.served"));
      head.append(badge);
      if (c.state === "waiting" && c.position != null) {
        head.append(el("span", "client-pos", t("server.position", { n: c.position })));
      }
      li.append(head);
      if (c.asked.length) {
        li.append(el("div", "client-asked", c.asked.map((a) => (a.length > 80 ? `${a.slice(0, 80)}…` : a)).join(" · ")));
      }
      fragment.append(li);
    }
    this.clientList.replaceChildren(fragment);
    this.noClients.hidden = sorted.length > 0;

    const lines = document.createDocumentFragment();
    if (!this.lines.length) lines.append(el("li", "note", t("server.consoleEmpty")));
    for (const line of this.lines) lines.append(el("li", line.kind, line.text));
    const scroller = this.consoleList.parentElement;
    const atBottom = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 24;
    this.consoleList.replaceChildren(lines);
    if (atBottom) scroller.scrollTop = scroller.scrollHeight;
  }
}
