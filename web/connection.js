// The page's WebSocket to the bridge (/ws, subprotocol playground.v1).
//
// Connected means the bridge's `hello` arrived: the TCP connection to the backend is up.
// Messages given to `enqueue` while not connected wait in `outbox` and are written once
// `hello` arrives; messages written but not yet confirmed by the bridge (`sent` or
// `rejected`) go back to the front of the outbox if the WebSocket closes, so nothing typed
// is lost. Reconnects by itself with exponential backoff.
//
// A foreign backend (`hello.foreign`: a student's own server behind --backend) is connected
// only to send: the page is "ready" with no TCP connection, "connected" while the bridge has
// one open (`tcp_open` .. `tcp_closed`). When the server cannot be reached (`unreachable`),
// the message comes back to the outbox and is sent again after a backoff; the status says
// "disconnected" with the reason meanwhile.
//
// The bridge confirms a forwarded message with `sent` at once but holds a `rejected` until
// the replies still owed have come (so replies stay in order); `sent` is therefore matched
// to its message by the wire line, `rejected` by the JSON id when there is one.

import { parseJsonObject } from "./json.js";

export const SUBPROTOCOL = "playground.v1";

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5000;
const PING_EVERY_MS = 10000;
const STEADY_MS = 1000; // connected this long (or a reply seen): the next retry starts fresh

export function bridgeUrl(path = "/ws", params = {}) {
  const url = new URL(path, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.href;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** A message and the wire line the bridge made of it are the same line (one LF or CRLF
 * is the line ending; lone surrogates cross the wire as U+FFFD). */
function sameLine(message, wire) {
  const body = (text) => fromUtf8.decode(utf8.encode(String(text ?? "").replace(/\r?\n$/, "")));
  return body(message) === body(wire);
}

function jsonId(line) {
  const value = parseJsonObject(line);
  return value && "id" in value ? value.id : undefined;
}

export class Connection extends EventTarget {
  constructor(url = bridgeUrl()) {
    super();
    this.url = url;
    this.socket = null;
    this.outbox = [];          // items waiting for a connection
    this.awaitingBridge = [];  // items written, waiting for the bridge's sent/rejected
    this.attempt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pingSentAt = null;
    this.connectedAt = 0;
    this.tried = false;
    this.repliesThisConnection = 0;
    this.foreign = false;
    this.state = { phase: "connecting", reason: "", attempt: 0, retryInMs: null,
                   backend: "", local: "", pingMs: null, queued: 0 };
  }

  start() {
    this.open();
  }

  /** Queue `item` ({message: string, ...}); written at once when connected. */
  enqueue(item) {
    if (this.canWrite()) {
      this.write(item);
    } else {
      this.outbox.push(item);
      this.setState({ queued: this.outbox.length });
    }
  }

  get connected() {
    return this.state.phase === "connected";
  }

  /** Written at once: connected, or ready to connect (a foreign backend, not refusing). */
  canWrite() {
    const phase = this.state.phase;
    return this.socket?.readyState === WebSocket.OPEN &&
      (phase === "connected" || (this.foreign && phase === "ready"));
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  setState(changes) {
    Object.assign(this.state, changes);
    this.emit("state", { ...this.state });
  }

  open() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const first = !this.tried;
    this.tried = true;
    this.setState(first ? { phase: "connecting" }
                        : { phase: "reconnecting", attempt: this.attempt + 1, retryInMs: null });
    let socket;
    try {
      socket = new WebSocket(this.url, SUBPROTOCOL);
    } catch (error) {
      this.emit("lifecycle", { type: "error", detail: String(error.message || error) });
      this.scheduleRetry(String(error.message || error), null);
      return;
    }
    this.socket = socket;
    this.sawHello = false;
    this.errored = false;
    this.openedAt = null;
    // "WebSocket open" is logged once the attempt's outcome is known, so that a backend
    // refusing again and again makes one repeated entry, not three per attempt.
    socket.addEventListener("open", () => { this.openedAt = Date.now(); });
    socket.addEventListener("message", (event) => this.onMessage(event));
    socket.addEventListener("error", () => { this.errored = true; });
    socket.addEventListener("close", (event) => this.onClose(event));
  }

  onMessage(event) {
    const message = parseJsonObject(event.data);
    if (message === null) {
      this.emit("lifecycle", { type: "error", detail: `not JSON: ${String(event.data).slice(0, 80)}` });
      return;
    }
    const now = performance.now();
    switch (message.type) {
      case "hello":
        this.sawHello = true;
        this.foreign = message.foreign === true;
        this.emit("lifecycle", { type: "ws_open", time: this.openedAt ?? Date.now() });
        this.connectedAt = now;
        this.repliesThisConnection = 0;
        this.setState({ phase: this.foreign ? "ready" : "connected", reason: "", attempt: 0,
                        retryInMs: null, backend: message.backend || "", local: message.local || "",
                        foreign: this.foreign, lastEnd: null, unreachable: null });
        if (this.foreign) {
          this.emit("lifecycle", { type: "foreign_ready", backend: message.backend || "?" });
        } else {
          this.emit("lifecycle", { type: "backend_connected", backend: message.backend || "?",
                                   local: message.local || "?", session: message.session });
        }
        this.flush();
        this.ping();
        clearInterval(this.pingTimer);
        this.pingTimer = setInterval(() => this.ping(), PING_EVERY_MS);
        break;
      case "sent": {
        const item = this.takeAwaiting((i) => sameLine(i.message, message.wire));
        this.emit("sent", { item, message, perf: now });
        break;
      }
      case "rejected": {
        const id = jsonId(message.line);
        const item = this.takeAwaiting((i) => id !== undefined && i.entry?.reqId === id);
        this.emit("rejected", { item, message, perf: now });
        break;
      }
      case "reply":
        this.repliesThisConnection += 1;
        this.emit("reply", { message, perf: now });
        break;
      case "pong": {
        const sentAt = typeof message.t === "number" && Math.abs(message.t - (this.pingSentAt ?? -1)) < 1e-3
          ? message.t : this.pingSentAt;
        if (sentAt != null) this.setState({ pingMs: now - sentAt });
        this.pingSentAt = null;
        break;
      }
      case "backend_eof":
        this.emit("lifecycle", { type: "backend_eof" });
        break;
      case "connecting":
        if (this.state.phase !== "disconnected") this.setState({ phase: "connecting" });
        break;
      case "tcp_open":
        this.attempt = 0;
        this.setState({ phase: "connected", reason: "", local: message.local || "", retryInMs: null,
                        unreachable: null });
        this.emit("lifecycle", { type: "tcp_open", backend: message.backend || this.state.backend,
                                 local: message.local || "?", n: message.connection });
        this.flush();
        break;
      case "tcp_closed":
        this.setState({ phase: "ready", lastEnd: message.how });
        this.emit("lifecycle", { type: `end_${message.how}`, n: message.connection,
                                 owed: message.owed });
        this.emit("tcp_closed", { how: message.how, owed: message.owed });
        break;
      case "unreachable":
        this.onUnreachable(message);
        break;
      default:
        break;
    }
  }

  onClose(event) {
    clearInterval(this.pingTimer);
    this.foreign = false;
    this.pingTimer = null;
    const wasConnected = this.sawHello;
    const code = event.code;
    const reason = event.reason || "";
    if (!wasConnected && code === 1013) {
      this.emit("lifecycle", { type: "backend_refused", reason: reason || `code ${code}` });
    } else if (this.errored && !wasConnected && this.openedAt == null) {
      this.emit("lifecycle", { type: "error", detail: reason || `code ${code}` });
    } else {
      if (!wasConnected && this.openedAt != null) {
        this.emit("lifecycle", { type: "ws_open", time: this.openedAt });
      }
      this.emit("lifecycle", { type: "closed", code, reason });
    }
    // Written but never confirmed: the bridge did not send them on; they go out again.
    if (this.awaitingBridge.length) {
      this.outbox.unshift(...this.awaitingBridge);
      this.awaitingBridge = [];
    }
    this.emit("closed", { code, reason });
    const steady = wasConnected &&
      (this.repliesThisConnection > 0 || performance.now() - this.connectedAt > STEADY_MS);
    this.attempt = steady ? 0 : this.attempt + 1;
    this.socket = null;
    this.scheduleRetry(reason, code);
  }

  scheduleRetry(reason, code) {
    const base = this.attempt === 0 ? FIRST_RETRY_MS
      : Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.attempt);
    const delay = Math.round(base * (0.85 + Math.random() * 0.3));
    this.setState({ phase: "disconnected", reason, code, retryInMs: delay, pingMs: null,
                    queued: this.outbox.length });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  /** A foreign backend refused (or did not answer) the connection for a message: the
   * message goes back to the outbox, in its place, and is sent again after a backoff. */
  onUnreachable(message) {
    const item = this.takeAwaiting((i) => i.message === message.text);
    if (item) {
      const seq = item.entry?.seq ?? 0;
      const at = this.outbox.findIndex((i) => (i.entry?.seq ?? 0) > seq);
      this.outbox.splice(at < 0 ? this.outbox.length : at, 0, item);
      this.emit("returned", { item });
    }
    this.emit("lifecycle", { type: `unreachable_${message.reason}`, backend: message.backend,
                             detail: message.detail });
    this.attempt += 1;
    const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.attempt);
    this.setState({ phase: "disconnected", reason: "", code: null, unreachable: message.reason,
                    retryInMs: delay, queued: this.outbox.length });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.socket?.readyState !== WebSocket.OPEN) return;
      this.setState({ phase: "reconnecting", attempt: this.attempt, retryInMs: null });
      this.flush();
    }, delay);
  }

  /** The first awaiting item that `matches`, else the oldest one. */
  takeAwaiting(matches) {
    let index = this.awaitingBridge.findIndex(matches);
    if (index < 0) index = 0;
    return this.awaitingBridge.splice(index, 1)[0];
  }

  flush() {
    while (this.outbox.length && this.socket?.readyState === WebSocket.OPEN) {
      this.write(this.outbox.shift());
      if (this.foreign && this.state.phase === "reconnecting") break; // one try at a time
    }
    this.setState({ queued: this.outbox.length });
  }

  write(item) {
    const command = { type: "send", text: item.message };
    if (item.end) command.end = item.end;
    this.socket.send(JSON.stringify(command));
    this.awaitingBridge.push(item);
    this.emit("dispatch", { item, perf: performance.now() });
  }

  ping() {
    if (this.socket?.readyState !== WebSocket.OPEN) return;
    this.pingSentAt = performance.now();
    this.socket.send(JSON.stringify({ type: "ping", t: this.pingSentAt }));
  }
}
