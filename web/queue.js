// The lab sheet's queueing experiment: several extra WebSockets to /ws at once
// (label=queue-1 …), one request on each, each kept open about a second after its reply
// like a busy client, then closed. The server view shows which is served and which waits;
// here each connection gets a timeline from the service's clock (the /events feed and the
// bridge's `t`): accepted, served (its turn), first byte read, answered, closed.

import { SUBPROTOCOL, bridgeUrl } from "./connection.js";
import { formatWholeMs, t } from "./i18n.js";
import { parseJsonObject } from "./json.js";

export const QUEUE_SIZE = 3;
const HOLD_MS = 1000;
const GIVE_UP_MS = 60000;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

const MARKS = [
  ["accepted", "queue.accepted"],
  ["served", "queue.servedAt"],
  ["firstByte", "queue.firstByte"],
  ["answered", "queue.answered"],
  ["closed", "queue.closedAt"],
];

export class QueueExperiment {
  constructor({ serverView, button, summary, timeline, legend, getLang, size = QUEUE_SIZE }) {
    Object.assign(this, { serverView, button, summary, timeline, legend, getLang, size });
    this.runs = [];
    this.running = false;
    this.frame = 0;
    this.tick = 0;
    this.summaryKey = null;
    serverView.addEventListener("event", (e) => this.onServerEvent(e.detail));
    button.addEventListener("click", () => this.run());
  }

  /** Against a foreign server (--backend) each connection sends a bare number with no line
   * ending, as the lab sheet's client does, and ends with a result: answered, or how its
   * connection ended (the bridge gives up after --reply-timeout). */
  setForeign(foreign) {
    this.foreign = Boolean(foreign);
  }

  run() {
    if (this.running) return;
    this.running = true;
    this.button.setAttribute("aria-disabled", "true");
    this.timeline.setAttribute("aria-busy", "true");
    this.summaryKey = ["queue.running", {}];
    this.runs = [];
    this.own = this.findOwn();
    const base = 40 + Math.floor(Math.random() * 50);
    for (let i = 1; i <= this.size; i++) {
      this.runs.push(this.open(i, String(base + i)));
    }
    this.giveUp = setTimeout(() => {
      for (const run of this.runs) if (run.socket.readyState === WebSocket.OPEN) run.socket.close(1000);
    }, GIVE_UP_MS);
    this.schedule();
  }

  open(index, number) {
    const label = `queue-${index}`;
    const run = { label, index, number, conn: null, local: null, marks: {}, state: "opening",
                  waiting: false, position: null, reply: "", error: "", done: false };
    const socket = new WebSocket(bridgeUrl("/ws", { label }), SUBPROTOCOL);
    run.socket = socket;
    socket.addEventListener("message", (event) => {
      const message = parseJsonObject(event.data);
      if (message === null) return;
      if (message.type === "hello") {
        run.local = message.local ?? null;
        run.marks.hello = message.t;
        run.state = run.state === "opening" ? "connected" : run.state;
        if (message.foreign) {
          socket.send(JSON.stringify({ type: "send", text: number, end: "none" }));
        } else {
          const request = { id: index, handler: "parity", text: number, lang: this.getLang() };
          socket.send(JSON.stringify({ type: "send", text: JSON.stringify(request) }));
        }
      } else if (message.type === "tcp_open") {
        run.local = message.local ?? run.local;
        run.marks.accepted ??= message.t;
      } else if (message.type === "sent") {
        run.marks.sentAt ??= message.t;
      } else if (message.type === "tcp_closed" || message.type === "unreachable") {
        run.marks.closed ??= message.t ?? Date.now();
        if (!run.marks.answered) {
          run.how = message.how ?? `unreachable_${message.reason}`;
          run.error = message.how ? t(`end.${message.how}`) : t(`unreachable.${message.reason}`);
          run.state = "failed";
        }
        setTimeout(() => { if (socket.readyState === WebSocket.OPEN) socket.close(1000); }, 50);
      } else if (message.type === "reply" || message.type === "rejected") {
        run.marks.answered ??= message.t ?? Date.now();
        run.reply = message.line ?? "";
        const json = parseJsonObject(run.reply);  // a plain line: shown as it came
        if (json?.message) run.reply = json.message;
        else if (json?.error) run.reply = `${json.error.code}: ${json.error.message}`;
        run.state = "answered";
        setTimeout(() => { if (socket.readyState === WebSocket.OPEN) socket.close(1000); }, HOLD_MS);
      }
      this.schedule();
    });
    socket.addEventListener("close", (event) => {
      run.done = true;
      run.marks.closed ??= Date.now();
      if (!run.marks.answered) {
        run.error ||= event.reason || `code ${event.code}`;
        run.state = "failed";
      } else {
        run.state = "closed";
      }
      this.finishIfDone();
      this.schedule();
    });
    return run;
  }

  /** Under --single, this page's own connection is a client that holds or waits for a turn
   * too: the timeline shows it (found by the local address the bridge reported). */
  /** A run's marks as "label N ms" from `start` (against a foreign server, "connected" is
   * the bridge's TCP handshake, not the server's accept). */
  facts(run, start) {
    return MARKS.filter(([key]) => run.marks[key] != null)
      .map(([key, label]) => `${t(key === "accepted" && this.foreign ? "queue.connectedAt" : label)} ` +
                            `${formatWholeMs(run.marks[key] - start)} ms`);
  }

  /** How a run ended: answered after N ms (from its request), timed out, or why not. */
  result(run) {
    const from = run.marks.sentAt ?? run.marks.accepted ?? run.marks.hello;
    if (run.marks.answered != null) {
      return `${t("queue.answeredAfter", { ms: formatWholeMs(run.marks.answered - from) })}: ${run.number} → ${run.reply}`;
    }
    if (run.how === "timeout") {
      return t("queue.timedOut", { ms: formatWholeMs((run.marks.closed ?? Date.now()) - from) });
    }
    return t("queue.endedHow", { words: run.error || "…" });
  }

  /** Against a foreign server: did a connection connect about a second after the first
   * (a SYN dropped by a full listen backlog and sent again)? */
  backlogged() {
    if (!this.foreign) return false;
    const connected = this.runs.map((r) => r.marks.accepted).filter((x) => x != null);
    return connected.length > 1 && Math.max(...connected) - Math.min(...connected) > 700;
  }

  findOwn() {
    if (this.foreign || !this.serverView.single) return null;
    const local = this.ownLocal?.();
    const mine = [...this.serverView.connections.values()].find((c) => local && c.peer === local);
    return mine ? { conn: mine.conn, startState: mine.state, yielded: null, servedAgain: null } : null;
  }

  trackOwn(message) {
    const own = this.own;
    if (!own || message.conn !== own.conn) return false;
    if (message.type === "waiting") own.yielded ??= message.t;
    if (message.type === "served" && own.yielded != null) own.servedAgain ??= message.t;
    return true;
  }

  ownText(start) {
    const own = this.own;
    if (!own) return "";
    const parts = [t(own.startState === "waiting" ? "queue.ownWaiting" : "queue.ownHeld", { conn: own.conn })];
    if (own.yielded != null) parts.push(t("queue.ownYielded", { ms: formatWholeMs(own.yielded - start) }));
    if (own.servedAgain != null) parts.push(t("queue.ownServedAgain", { ms: formatWholeMs(own.servedAgain - start) }));
    return parts.join(" · ");
  }

  runFor(message) {
    if (message.conn != null) {
      const byConn = this.runs.find((r) => r.conn === message.conn);
      if (byConn) return byConn;
    }
    if (message.type !== "open" || !message.label) return null;
    // The label names the connection; the peer (the bridge's local address) settles a tie
    // when another page runs the experiment too. With --backend the peer is the backend.
    const candidates = this.runs.filter((r) => r.conn == null && r.label === message.label);
    return candidates.find((r) => r.local === message.peer) ?? candidates[0] ?? null;
  }

  onServerEvent(message) {
    if (!this.runs.length) return;
    if (this.trackOwn(message)) {
      this.schedule();
      return;
    }
    const run = this.runFor(message);
    if (!run) return;
    if (this.foreign) {  // the bridge cannot see the server's accept or read: only its own marks
      if (message.type === "open") run.conn = message.conn;
      return;
    }
    switch (message.type) {
      case "open":
        run.conn = message.conn;
        run.marks.accepted = message.t;
        if (message.state === "waiting") {
          run.waiting = true;
          run.position = message.position ?? null;
        } else {
          run.marks.served = message.t;
        }
        break;
      case "waiting":
        run.waiting = true;
        run.position = message.position ?? null;
        break;
      case "served":
        run.waiting = false;
        run.marks.served ??= message.t;
        break;
      case "request":
        run.marks.firstByte ??= message.received ?? message.t;
        run.marks.served ??= message.received ?? message.t;
        break;
      case "close":
        run.marks.closed = message.t ?? run.marks.closed;
        break;
      default:
        return;
    }
    this.schedule();
  }

  finishIfDone() {
    if (!this.running || !this.runs.every((r) => r.done)) return;
    this.running = false;
    clearTimeout(this.giveUp);
    this.button.removeAttribute("aria-disabled");
    this.timeline.removeAttribute("aria-busy");
    const answered = this.runs.filter((r) => r.marks.answered);
    const times = answered.map((r) => r.marks.answered);
    const spread = times.length ? Math.max(...times) - Math.min(...times) : 0;
    this.summaryKey = ["queue.done", { answered: answered.length, n: this.runs.length, ms: spread }];
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(); });
  }

  /** The timeline for the lab report: one line per connection, ms from the start, and how
   * it ended (answered after N ms, or why not). */
  reportLines() {
    if (!this.runs.length) return [];
    const start = Math.min(...this.runs.map((r) => r.marks.accepted ?? r.marks.hello ?? Infinity));
    const out = [];
    if (this.summary.textContent) out.push(this.summary.textContent, "");
    if (this.own) out.push(`- ${t("queue.ownLabel")}: ${this.ownText(start)}`);
    for (const run of this.runs) {
      const facts = this.facts(run, start);
      out.push(`- ${run.label}: ${facts.join(" · ")} — ${this.result(run)}`);
    }
    return out;
  }

  render() {
    if (this.summaryKey) {
      const [key, vars] = this.summaryKey;
      const words = { ...vars };
      if ("ms" in words) words.ms = formatWholeMs(words.ms);
      const failures = this.runs.filter((r) => r.error)
        .map((r) => t("queue.failed", { label: r.label, reason: r.error }));
      const backlog = this.backlogged() ? t("queue.backlogNote") : "";
      this.summary.textContent = [t(key, words), ...failures, backlog, this.note?.() ?? ""].join(" ").trim();
    }
    this.legend.hidden = !this.runs.length;
    if (!this.runs.length) {
      this.timeline.replaceChildren();
      return;
    }
    const starts = this.runs.map((r) => r.marks.accepted ?? r.marks.hello).filter((x) => x != null);
    const start = starts.length ? Math.min(...starts) : Date.now();
    const ends = this.runs.flatMap((r) => Object.values(r.marks)).filter((x) => x != null);
    const end = Math.max(start + 1, ...ends, this.running ? Date.now() : start + 1);
    const span = end - start;
    const fragment = document.createDocumentFragment();
    if (this.own) {
      const li = el("li", "queue-run queue-own");
      li.append(el("div", "queue-head", t("queue.ownLabel")), el("p", "queue-times", this.ownText(start)));
      fragment.append(li);
    }
    for (const run of this.runs) {
      const li = el("li", `queue-run queue-${run.state}`);
      const head = el("div", "queue-head");
      head.append(el("span", "queue-label", run.label));
      const waitingNow = run.waiting && run.marks.served == null && !run.done;
      const stateText = waitingNow ? t("server.waiting")
        : run.marks.answered ? t("queue.answered")
        : run.error ? run.error
        : run.marks.served != null ? t("server.served") : "…";
      head.append(el("span", `badge ${waitingNow ? "badge-waiting" : run.error ? "badge-error" : "badge-served"}`, stateText));
      if (run.reply) head.append(el("span", "queue-reply", `${run.number} → ${run.reply}`));
      li.append(head);

      const bar = el("div", "queue-bar");
      bar.setAttribute("aria-hidden", "true");
      const from = run.marks.accepted ?? run.marks.hello;
      const servedAt = run.marks.served;
      const closedAt = run.marks.closed ?? (this.running ? end : null);
      const pct = (x) => `${((x - start) / span) * 100}%`;
      if (from != null) {
        const waitEnd = servedAt ?? closedAt ?? end;
        if (waitEnd > from) {
          const wait = el("span", "seg seg-wait");
          wait.style.left = pct(from);
          wait.style.width = `${((waitEnd - from) / span) * 100}%`;
          bar.append(wait);
        }
        if (servedAt != null) {
          const serve = el("span", "seg seg-served");
          serve.style.left = pct(servedAt);
          serve.style.width = `${(((closedAt ?? end) - servedAt) / span) * 100}%`;
          bar.append(serve);
        }
        if (run.marks.answered != null) {
          const tick = el("span", "tick");
          tick.style.left = pct(run.marks.answered);
          bar.append(tick);
        }
      }
      li.append(bar);

      const facts = this.facts(run, start);
      li.append(el("p", "queue-times", facts.join(" · ")));
      if (this.foreign && !this.running) li.append(el("p", "queue-times", this.result(run)));
      fragment.append(li);
    }
    this.timeline.replaceChildren(fragment);
    if (this.running && !this.tick) {
      // Let the bars grow while connections wait; a few frames a second is enough.
      this.tick = setTimeout(() => { this.tick = 0; this.schedule(); }, 200);
    }
  }
}
