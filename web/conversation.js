// Requests and replies: turns what is typed into bridge messages and matches replies to
// the requests they answer, measuring round-trip time.
//
// Matching: the bridge confirms each written message with `sent` (it went to the backend)
// or `rejected` (the bridge answered it itself), in order. Requests that went to the
// backend wait in `awaitingReply`; a JSON reply is matched by its id, any other reply to
// the oldest waiting request (the service answers in order). Replies nobody waits for (a
// backend that says more than asked) are logged as they come.

import { parseJsonObject } from "./json.js";

export const MODES = ["auto", "parity", "length", "raw"];

function parseJsonLine(line) {
  return typeof line === "string" && line.trimStart().startsWith("{") ? parseJsonObject(line) : null;
}

function isErrorReply(line, json) {
  if (json) return json.ok === false;
  return /^ERR\b/.test(line ?? "");
}

export class Conversation {
  constructor({ connection, store, getLang }) {
    this.connection = connection;
    this.store = store;
    this.getLang = getLang;
    this.nextNumber = 1;
    this.awaitingReply = [];
    this.lastMessagePerf = null;
    connection.addEventListener("dispatch", (e) => this.onDispatch(e.detail));
    connection.addEventListener("sent", (e) => this.onSent(e.detail));
    connection.addEventListener("rejected", (e) => this.onRejected(e.detail));
    connection.addEventListener("reply", (e) => this.onReply(e.detail));
    connection.addEventListener("closed", () => this.onClosed());
    connection.addEventListener("lifecycle", (e) => this.onLifecycle(e.detail));
    connection.addEventListener("tcp_closed", (e) => this.onTcpClosed(e.detail));
    connection.addEventListener("returned", (e) => this.onReturned(e.detail));
  }

  /** The line the bridge will send for `text` in `mode`. */
  messageFor(text, mode, number) {
    if (mode === "raw") return text;
    return JSON.stringify({ id: number, handler: mode, text, lang: this.getLang() });
  }

  /** Send `text` in `mode`; `end` (lf, crlf, none) is Raw mode's chosen line ending. */
  submit(text, mode, end = null) {
    const number = this.nextNumber++;
    const ending = mode === "raw" ? end : null;
    const entry = this.store.add({
      kind: "request", mode, handler: mode === "raw" ? null : mode, text, number, end: ending,
      reqId: mode === "raw" ? null : number, state: "queued", queuedPerf: performance.now(),
    });
    const item = { entry, message: this.messageFor(text, mode, number) };
    if (ending) item.end = ending;
    this.connection.enqueue(item);
    return entry;
  }

  /** A foreign backend's connection ended with replies owed: those requests got none. */
  onTcpClosed({ how, owed }) {
    if (!owed) return;
    for (const entry of this.awaitingReply) {
      entry.state = "lost";
      entry.lostHow = how;
      this.store.update(entry);
    }
    this.awaitingReply = [];
  }

  /** The server could not be reached: the request waits to be sent again. */
  onReturned({ item }) {
    const entry = item?.entry;
    if (!entry) return;
    entry.state = "queued";
    this.store.update(entry);
  }

  onDispatch({ item, perf }) {
    const entry = item?.entry;
    if (!entry) return;
    entry.state = "sending";
    entry.dispatchPerf = perf;
    entry.waitedMs = perf - entry.queuedPerf;
    this.lastMessagePerf = perf;
    this.store.update(entry);
  }

  onSent({ item, message }) {
    const entry = item?.entry;
    if (!entry) return;
    entry.state = "sent";
    entry.wire = message.wire;
    entry.wireBytes = message.bytes;
    this.awaitingReply.push(entry);
    this.store.update(entry);
  }

  onRejected({ item, message, perf }) {
    const request = item?.entry;
    if (request) {
      request.state = "answered";
      this.store.update(request);
    }
    const json = parseJsonLine(message.line);
    this.addReply({ line: message.line, json, rejected: true, code: message.code, error: true,
                    request, perf, wire: null });
  }

  onReply({ message, perf }) {
    const json = parseJsonLine(message.line);
    let index = -1;
    if (json && "id" in json) index = this.awaitingReply.findIndex((e) => e.reqId === json.id);
    if (index < 0 && this.awaitingReply.length) index = 0;
    const request = index >= 0 ? this.awaitingReply.splice(index, 1)[0] : null;
    if (request) {
      request.state = "answered";
      this.store.update(request);
    }
    this.addReply({ line: message.line, json, rejected: false, error: isErrorReply(message.line, json),
                    request, perf, wire: message.wire, hex: message.hex, bytes: message.bytes,
                    end: message.end });
  }

  addReply({ line, json, rejected, code, error, request, perf, wire, hex, bytes, end }) {
    const since = this.lastMessagePerf == null ? null : perf - this.lastMessagePerf;
    this.lastMessagePerf = perf;
    this.store.add({
      kind: "reply", line, json, rejected, code, error, wire, hex, bytes, end,
      number: request ? request.number : null,
      requestSeq: request ? request.seq : null,
      rtt: request?.dispatchPerf != null ? perf - request.dispatchPerf : null,
      since,
    });
  }

  onClosed() {
    for (const entry of this.awaitingReply) {
      entry.state = "lost";
      this.store.update(entry);
    }
    this.awaitingReply = [];
  }

  onLifecycle(detail) {
    const { type, time, ...params } = detail;
    this.store.add({ kind: "event", type, params, time: time ?? Date.now() });
  }
}
