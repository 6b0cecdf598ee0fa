// What the Markdown lab report holds beyond the table (issue 12): the student's details
// (typed once, kept in localStorage), one named time zone for every time, counts of
// characters / bytes / graphemes, a Mermaid sequence diagram of the conversation, the
// server console and the queue experiment's timeline.

const STUDENT_KEY = "playground.student.v1";
export const STUDENT_FIELDS = ["name", "nim", "class"];
const DIAGRAM_ROWS = 30;
const DIAGRAM_TEXT = 60;

const utf8 = new TextEncoder();
const MERMAID_ENTITIES = { "#": "#35;", ";": "#59;", "<": "#lt;", ">": "#gt;" };

export function loadStudent(storage = globalThis.localStorage) {
  try {
    const saved = JSON.parse(storage?.getItem(STUDENT_KEY) || "{}");
    return Object.fromEntries(STUDENT_FIELDS.map((f) => [f, typeof saved[f] === "string" ? saved[f] : ""]));
  } catch {
    return { name: "", nim: "", class: "" };
  }
}

export function saveStudent(student, storage = globalThis.localStorage) {
  try {
    storage?.setItem(STUDENT_KEY, JSON.stringify(student));
  } catch {
    // storage disabled: the fields still fill this export
  }
}

/** Characters (code points, Python's len), UTF-8 bytes and graphemes of `text`. */
export function counts(text) {
  const value = String(text ?? "");
  let graphemes = [...value].length;
  if (typeof Intl !== "undefined" && Intl.Segmenter) {
    graphemes = [...new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(value)].length;
  }
  return { characters: [...value].length, bytes: utf8.encode(value).length, graphemes };
}

const pad = (n, w = 2) => String(n).padStart(w, "0");

/** The browser's time zone, named: {name: "Asia/Jakarta", offset: "+07:00"}. */
export function timeZone(ms = Date.now()) {
  const name = Intl.DateTimeFormat().resolvedOptions().timeZone || "local";
  const minutes = -new Date(ms).getTimezoneOffset();
  const sign = minutes >= 0 ? "+" : "-";
  const abs = Math.abs(minutes);
  return { name, offset: `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}` };
}

/** "2026-11-30 11:50:02" in the browser's time zone (the one the report names). */
export function zonedDateTime(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "11:50:02.123" in the same zone. */
export function zonedTime(ms) {
  if (ms == null) return "";
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** ISO 8601 with the zone's offset (for CSV): 2026-11-30T11:50:02.123+07:00. */
export function zonedIso(ms) {
  if (ms == null) return "";
  return `${zonedDateTime(ms).replace(" ", "T")}.${pad(new Date(ms).getMilliseconds(), 3)}${timeZone(ms).offset}`;
}

/** Text safe inside a Mermaid message: no line breaks, `#` and `;` as entity codes. */
export function mermaidText(text) {
  let value = String(text ?? "").replace(/[\r\n]+/g, " ");
  if (value.length > DIAGRAM_TEXT) value = `${value.slice(0, DIAGRAM_TEXT)}…`;
  value = value.replace(/[#;<>]/g, (c) => MERMAID_ENTITIES[c]);
  return value.trim() || "(empty)";
}

/** A Mermaid sequenceDiagram of the conversation (the last DIAGRAM_ROWS exchanges). */
export function sequenceDiagram(rows, { client, server, noReply, endings }) {
  const out = ["```mermaid", "sequenceDiagram",
               `    participant C as ${mermaidText(client)}`, `    participant S as ${mermaidText(server)}`];
  for (const row of rows.slice(-DIAGRAM_ROWS)) {
    if (row.request !== "" || row.number != null) {
      const ending = row.end ? ` (${endings[row.end]})` : "";
      out.push(`    C->>S: ${mermaidText(row.request + ending)}`);
    }
    if (row.replyTime != null) {
      out.push(`    S-->>C: ${mermaidText(row.reply)}`);
    } else if (row.state === "lost") {
      out.push(`    Note over S: ${mermaidText(noReply(row))}`);
    }
  }
  out.push("```");
  return out;
}
