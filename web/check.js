// The lab checks: the "Check server" button runs `python -m server check`'s cases against
// the backend this page is bridged to (the web app's /check WebSocket; see
// docs/web-api.md) and fills the "Check results" table as each case finishes. Each row
// shows the case id and its verdict word; its sent and received bytes open on demand,
// drawn by the byte view (bytes.js). The last check is also a section of the Markdown
// export (report-sections.js).

import { renderWire, wireBytes, wireText } from "./bytes.js";
import { bridgeUrl } from "./connection.js";
import { formatNumber, getLang, onLangChange, t } from "./i18n.js";
import { parseJsonObject } from "./json.js";
import { zonedDateTime } from "./lab-report.js";
import { addReportSection } from "./report-sections.js";

const VERDICTS = ["pass", "fail", "info", "skip"];

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

/** A case's explanation in `lang`, as a sentence (capitalised). */
function sentence(c, lang) {
  const text = c.explanations?.[lang] ?? c.explanation ?? "";
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export class LabCheck {
  constructor({ button, status, rows, summary }) {
    Object.assign(this, { button, status, rows, summary });
    this.cases = [];
    this.state = { key: null, vars: {} };
    this.result = null; // {target, exercise, summary, stopped_after, time} once done
    this.socket = null;
    button.addEventListener("click", () => this.run());
    onLangChange(() => this.render());
  }

  get running() {
    return this.socket !== null;
  }

  run() {
    if (this.running) return;
    this.cases = [];
    this.result = null;
    this.setState("check.running");
    this.button.setAttribute("aria-disabled", "true");
    this.rows.closest("table").setAttribute("aria-busy", "true");
    this.render();
    const socket = new WebSocket(bridgeUrl("/check"));
    this.socket = socket;
    let ended = false;
    socket.addEventListener("message", (event) => {
      const message = parseJsonObject(event.data);
      if (!message) return;
      if (message.type === "start") this.target = message.target;
      if (message.type === "case") {
        this.cases.push(message.case);
        this.appendRow(message.case);
        this.renderSummary();
      } else if (message.type === "done") {
        ended = true;
        this.result = { ...message, time: Date.now() };
        this.setState("check.done", { target: message.target });
      } else if (message.type === "busy") {
        ended = true;
        this.setState("check.busy");
      } else if (message.type === "error") {
        ended = true;
        this.setState("check.error", { reason: message.message });
      }
    });
    socket.addEventListener("close", () => {
      this.socket = null;
      this.button.removeAttribute("aria-disabled");
      this.rows.closest("table").removeAttribute("aria-busy");
      if (!ended) this.setState("check.lost");
    });
  }

  setState(key, vars = {}) {
    this.state = { key, vars };
    this.status.textContent = t(key, vars);
  }

  render() {
    this.status.textContent = this.state.key ? t(this.state.key, this.state.vars) : "";
    this.rows.replaceChildren();
    for (const c of this.cases) this.appendRow(c);
    this.renderSummary();
  }

  renderSummary() {
    const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0]));
    for (const c of this.cases) counts[c.verdict] += 1;
    this.summary.textContent = this.cases.length ? t("check.summary", counts) : "";
  }

  appendRow(c) {
    const lang = getLang();
    const row = el("tr", `check-row verdict-${c.verdict}`);
    const id = el("td", "check-id"); // a cell, so a row reads "even pass …" cell by cell
    id.append(el("code", "", c.id));
    const verdict = el("td", "check-verdict", t(`check.verdict.${c.verdict}`));
    const explanation = el("td", "check-explanation", sentence(c, lang));
    const bytesCell = el("td", "check-bytes");
    if (c.verdict !== "skip") bytesCell.append(this.bytesDetails(c));
    row.append(id, verdict, explanation, bytesCell);
    this.rows.append(row);
  }

  bytesDetails(c) {
    const details = el("details", "check-wire");
    details.append(el("summary", "", t("check.bytes")));
    let drawn = false;
    details.addEventListener("toggle", () => {
      if (!details.open || drawn) return;
      drawn = true; // drawn on demand: a long case's bytes are 100,000 characters
      const more = (n) => t("entry.wireMore", { n: formatNumber(n) });
      for (const [label, hex, text] of [["check.sent", c.sent_hex, c.sent],
                                        ["check.received", c.received_hex, c.received]]) {
        const line = el("p", "check-wire-line");
        line.append(el("span", "check-wire-label", `${t(label)}: `));
        const bytes = wireBytes(text, hex);
        if (bytes.length) renderWire(line, bytes, more);
        else line.append(el("span", "check-wire-none", t("check.nothing")));
        details.append(line);
      }
      details.append(el("p", "check-wire-line hint", `${t("check.ended")}: ${c.ended} · ${
        formatNumber(c.ms, 1)} ms`));
    });
    return details;
  }

  /** The last check as Markdown for the lab report ("" before any check). */
  markdown(lang) {
    if (!this.cases.length) return "";
    const cell = (text) => String(text).replace(/\|/g, "\\|").replace(/\n/g, " ");
    const code = (c, which) => {
      const text = wireText(wireBytes(c[which], c[`${which}_hex`]), 60);
      return text ? `\`${cell(text)}\`` : "—";
    };
    const out = [`## ${t("check.md.title", { target: this.target ?? "" }, lang)}`, ""];
    if (this.result) {
      // in the one time zone the whole report names (lab-report.js), not UTC beside it
      out.push(`${t("md.date", {}, lang)}: ${zonedDateTime(this.result.time)} · ${
        t("check.md.exercise", {}, lang)}: ${this.result.exercise}`, "");
    }
    out.push(`| ${t("check.col.case", {}, lang)} | ${t("check.col.verdict", {}, lang)} | ${
      t("check.sent", {}, lang)} | ${t("check.received", {}, lang)} | ${
      t("check.col.explanation", {}, lang)} |`);
    out.push("| --- | --- | --- | --- | --- |");
    for (const c of this.cases) {
      out.push(`| \`${c.id}\` | ${t(`check.verdict.${c.verdict}`, {}, lang)} | ${code(c, "sent")} | ${
        code(c, "received")} | ${cell(sentence(c, lang))} |`);
    }
    const findings = this.cases.filter((c) => c.verdict === "info");
    if (findings.length) {
      out.push("", `### ${t("check.md.findings", {}, lang)}`, "");
      for (const c of findings) out.push(`- ${sentence(c, lang)}`);
    }
    return `${out.join("\n")}\n`;
  }
}

function start() {
  const button = document.getElementById("check-button");
  if (!button) return;
  const check = new LabCheck({
    button,
    status: document.getElementById("check-status"),
    rows: document.getElementById("check-rows"),
    summary: document.getElementById("check-summary"),
  });
  addReportSection("check", (lang) => check.markdown(lang));
}

start();
