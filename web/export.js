// Export for a lab report: every request and reply with its time and round-trip time,
// as CSV (one row per request, or per reply nobody asked for) and as a Markdown report
// skeleton in the page's language (settings, the table, RTT min/median/max, headings for
// the analysis the lab sheet asks for).

import { replyText } from "./log.js";
import { formatMs, formatNumber, getLang, t } from "./i18n.js";
import { counts, sequenceDiagram, timeZone, zonedDateTime, zonedIso, zonedTime } from "./lab-report.js";
import { reportSections } from "./report-sections.js";

const MD_CELL_LIMIT = 300;

/** Pair requests with their replies, in log order. */
export function conversationRows(entries) {
  const rows = [];
  const bySeq = new Map();
  for (const entry of entries) {
    if (entry.kind === "request") {
      const row = { number: entry.number, time: entry.time, handler: entry.mode, request: entry.text,
                    replyTime: null, reply: "", rtt: null, ok: null, state: entry.state,
                    end: entry.end ?? null, lostHow: entry.lostHow ?? null, wireBytes: entry.wireBytes ?? null };
      bySeq.set(entry.seq, row);
      rows.push(row);
    } else if (entry.kind === "reply") {
      const row = entry.requestSeq != null ? bySeq.get(entry.requestSeq) : null;
      const target = row ?? { number: null, time: null, handler: "", request: "", state: "" };
      target.replyTime = entry.time;
      target.reply = replyText(entry);
      target.rtt = entry.rtt ?? null;
      target.ok = !entry.error;
      if (!row) rows.push(target);
    }
  }
  return rows;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** One CSV cell. A cell a spreadsheet would run as a formula (starting with = + - @, tab
 * or CR) gets a leading apostrophe, so a reply such as `=HYPERLINK(...)` stays text. */
export function csvCell(value) {
  let text = value == null ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows) {
  const header = ["number", "request_time", "handler", "request", "reply_time", "reply", "rtt_ms", "ok"];
  const lines = [header.join(",")];
  for (const r of rows) {
    lines.push([
      r.number ?? "", zonedIso(r.time), r.handler, r.request, zonedIso(r.replyTime), r.reply,
      r.rtt == null ? "" : r.rtt.toFixed(1), r.ok == null ? "" : r.ok ? "true" : "false",
    ].map(csvCell).join(","));
  }
  return lines.join("\r\n") + "\r\n";
}

function mdCell(value) {
  let text = String(value ?? "");
  if (text.length > MD_CELL_LIMIT) text = `${text.slice(0, MD_CELL_LIMIT)}… (${text.length})`;
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/[\r\n]+/g, " ") || " ";
}


export function settingsList(config) {
  if (!config) return [[t("settings.backend"), t("settings.unknown")]];
  const yesNo = (v) => (v ? t("settings.yes") : t("settings.no"));
  if (config.external_backend) {  // only what the bridge does: the rest is the student's program
    return [
      [t("settings.backend"), t("settings.externalYes", { backend: config.backend })],
      [t("settings.maxLine"), t("unit.bytes", { n: config.max_line })],
      [t("settings.wsMax"), t("unit.bytes", { n: config.ws_max_message })],
      [t("settings.replyTimeout"), t("unit.s", { n: config.reply_timeout_s })],
    ];
  }
  return [
    [t("settings.backend"), config.backend],  // an external backend returned above
    [t("settings.maxLine"), t("unit.bytes", { n: config.max_line })],
    [t("settings.idleFlush"), t("unit.ms", { n: config.idle_flush_ms })],
    [t("settings.idleTimeout"), t("unit.s", { n: config.idle_timeout_s })],
    [t("settings.default"), config.default],
    [t("settings.lang"), config.lang],
    [t("settings.single"), yesNo(config.single)],
    [t("settings.turnIdle"), t("unit.s", { n: config.turn_idle_s })],
    [t("settings.wsMax"), t("unit.bytes", { n: config.ws_max_message })],
  ];
}

function lostWords(row) {
  return row.lostHow ? t(`entry.lost.${row.lostHow}`) : t("entry.lost");
}

/** The lab report in Markdown, in the page's language, every time in one named zone. */
export function toMarkdown({ rows, config, dropped, now = Date.now(), student = {},
                             consoleLines = [], queueLines = [], events = [] }) {
  const out = [];
  const zone = timeZone(now);
  const fill = `_${t("md.fill")}_`;
  out.push(`# ${t("md.title")}`, "");
  out.push(`## ${t("md.student")}`, "");
  for (const field of ["name", "nim", "class"]) {
    out.push(`- ${t(`report.${field}`)}: ${student[field] ? mdCell(student[field]) : fill}`);
  }
  out.push(`- ${t("md.date")}: ${zonedDateTime(now)} (${zone.name}, UTC${zone.offset})`, "");
  out.push(`_${t("md.tz", { tz: zone.name, offset: zone.offset })}_`, "");
  out.push(`## ${t("md.aim")}`, "", `_${t("md.aim.hint")}_`, "");
  out.push(`## ${t("md.settings")}`, "");
  for (const [name, value] of settingsList(config)) out.push(`- ${name}: ${value}`);
  out.push("", `## ${t("md.table")}`, "");
  if (dropped) out.push(`_${t("md.dropped", { n: dropped })}_`, "");
  if (!rows.length) {
    out.push(t("md.none"));
  } else {
    const cols = ["md.col.n", "md.col.time", "md.col.handler", "md.col.request", "md.col.end",
                  "md.col.reply", "md.col.rtt"];
    out.push(`| ${cols.map((c) => t(c)).join(" | ")} |`);
    out.push(`| ${cols.map((c) => (c === "md.col.rtt" || c === "md.col.n" ? "---:" : "---")).join(" | ")} |`);
    for (const r of rows) {
      const reply = r.replyTime == null && r.state === "lost" ? lostWords(r) : r.reply;
      out.push(`| ${[r.number ?? "", zonedTime(r.time ?? r.replyTime), r.handler, r.request,
                     r.end ? t(`ending.short.${r.end}`) : "", reply,
                     r.rtt == null ? "" : formatMs(r.rtt)].map(mdCell).join(" | ")} |`);
    }
    out.push("", `### ${t("md.counts")}`, "");
    const countCols = ["md.col.n", "md.col.request", "md.col.chars", "md.col.bytes", "md.col.graphemes"];
    out.push(`| ${countCols.map((c) => t(c)).join(" | ")} |`);
    out.push(`| ---: | --- | ---: | ---: | ---: |`);
    for (const r of rows.filter((row) => row.number != null)) {
      const c = counts(r.request);
      out.push(`| ${[r.number, r.request, formatNumber(c.characters), formatNumber(c.bytes),
                     formatNumber(c.graphemes)].map(mdCell).join(" | ")} |`);
    }
    out.push("", `## ${t("md.sequence")}`, "");
    out.push(...sequenceDiagram(rows, {
      client: "Client (browser)", server: `Server ${config?.backend ?? ""}`.trim(), noReply: lostWords,
      endings: { lf: "LF", crlf: "CRLF", none: t("ending.short.none") },
    }));
  }
  out.push("", `## ${t("md.rtt")}`, "");
  const rtts = rows.map((r) => r.rtt).filter((x) => x != null);
  if (rtts.length) {
    out.push(t("md.rttStats", { min: formatMs(Math.min(...rtts)), median: formatMs(median(rtts)),
                                max: formatMs(Math.max(...rtts)), n: rtts.length }));
  } else {
    out.push(t("md.rttNone"));
  }
  if (events.length) {
    out.push("", `## ${t("md.events")}`, "");
    for (const event of events) out.push(`- ${zonedTime(event.time)} ${mdCell(event.text)}`);
  }
  out.push("", `## ${t("md.console")}`, "");
  out.push(...(consoleLines.length ? ["```text", ...consoleLines, "```"] : [t("md.consoleNone")]));
  out.push("", `## ${t("md.queue")}`, "");
  out.push(...(queueLines.length ? queueLines : [t("md.queueNone")]));
  for (const section of reportSections(getLang())) out.push("", section.trim());
  out.push("", `## ${t("md.analysis")}`, "");
  for (const key of ["md.a1", "md.a2", "md.a3"]) {
    out.push(`### ${t(key)}`, "", `_${t(`${key}.hint`)}_`, "");
  }
  out.push(`## ${t("md.conclusion")}`, "", fill, "");
  return out.join("\n");
}

export function fileStamp(ms = Date.now()) {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-` +
    `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}

export function download(filename, text, mime) {
  const blob = new Blob([text], { type: `${mime};charset=utf-8` });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export async function copyText(text) {
  await navigator.clipboard.writeText(text);
}
