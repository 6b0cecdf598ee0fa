// Wires the page together: language, settings from /config, the bridge connection and
// the conversation, the log, the server view, the queue experiment, export and history.

import { Connection } from "./connection.js";
import { Conversation } from "./conversation.js";
import { conversationRows, copyText, download, fileStamp, settingsList, toCsv, toMarkdown } from "./export.js";
import { SendHistory } from "./history.js";
import { detectLang, formatMs, formatNumber, getLang, onLangChange, setLang, t } from "./i18n.js";
import { LogStore, LogView, eventText, reasonWords } from "./log.js";
import { UndoableClear, keepSaved, loadConversation, makeFilter, restoreInto } from "./log-tools.js";
import { STUDENT_FIELDS, loadStudent, saveStudent } from "./lab-report.js";
import { QueueExperiment, QUEUE_SIZE } from "./queue.js";
import { ServerView } from "./server-view.js";
import { configFor, splitBackend, TargetChoice } from "./target.js";

const $ = (id) => document.getElementById(id);

const EXAMPLES = {
  even: () => "42",
  odd: () => "-7",
  text: () => "halo dunia",
  family: () => "👨‍👩‍👧‍👦",
  nan: () => "4x2",
  million: () => "1234567890".repeat(100000),
};

let config = null;

async function loadConfig() {
  try {
    const response = await fetch("/config", { cache: "no-store" });
    if (response.ok) return await response.json();
  } catch {
    // the settings panel says "unavailable"
  }
  return null;
}

function shellQuote(text) {
  return `'${String(text).replace(/'/g, "'\\''")}'`;
}

/** The terminal command that sends the same request with the project's own client. */
/** The server this page talks to: the chosen target once connected, else the configured
 * backend (0.0.0.0 is turned into the address the browser used by splitBackend). */
function currentBackend() {
  return connectionState?.backend || config?.backend || "";
}

let connectionState = null;

function commandFor(entry) {
  const line = entry.mode === "parity" ? `parity ${entry.text}`
    : entry.mode === "length" ? `length ${entry.text}` : entry.text;
  let target = "";
  const [host, port] = splitBackend(currentBackend());
  if (host && `${host}:${port}` !== "127.0.0.1:12345") target = ` --host ${host} --port ${port}`;
  return `python -m server client${target} --once ${shellQuote(line)}`;
}

function announce(text) {
  const announcer = $("announcer");
  announcer.textContent = "";
  // a fresh text node each time so a repeated message is announced again
  requestAnimationFrame(() => { announcer.textContent = text; });
}

function renderStatus(state) {
  const status = $("status");
  const text = $("status-text");
  let words;
  if (state.phase === "connected") {
    words = t("status.connectedTo", { backend: state.backend || "?" });
    if (state.pingMs != null) words += ` · ${t("status.ping", { ms: formatMs(state.pingMs) })}`;
  } else if (state.phase === "ready") {
    words = t("status.ready", { backend: state.backend || "?" });
    if (state.lastEnd && state.lastEnd !== "closed") {
      words += ` · ${t("status.lastEnd", { words: t(`end.${state.lastEnd}`) })}`;
    }
  } else if (state.phase === "connecting") {
    words = t("status.connecting");
  } else {
    const reason = state.unreachable ? t(`unreachable.${state.unreachable}`)
      : state.code === 1006 && !state.reason ? t("error.noConnection")
      : reasonWords(state.reason) || `code ${state.code}`;
    const next = state.phase === "reconnecting"
      ? t("status.reconnectAttempt", { n: state.attempt })
      : t("status.reconnectIn", { s: formatNumber((state.retryInMs ?? 0) / 1000, 1) });
    words = state.stopped ? `${t("status.disconnected")} (${reason})`
      : `${t("status.disconnected")} (${reason}) · ${next}`;
  }
  if (state.queued) words += ` · ${t("status.queued", { n: state.queued })}`;
  status.dataset.state = state.phase;
  text.textContent = words;
}

function renderSettings() {
  const list = $("settings-list");
  const fragment = document.createDocumentFragment();
  for (const [name, value] of settingsList(configFor(config, connectionState))) {
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = String(value);
    fragment.append(dt, dd);
  }
  list.replaceChildren(fragment);
  if (currentBackend()) {
    const [host, port] = splitBackend(currentBackend());
    $("utf8-cmd").textContent = `printf 'parity \\xff\\n' | nc ${host} ${port}`;
  }
}

function currentMode() {
  return document.querySelector('input[name="mode"]:checked')?.value ?? "auto";
}

function renderModeHelp() {
  $("mode-help").textContent = t(`modeHelp.${currentMode()}`);
  $("ending-row").hidden = currentMode() !== "raw";
}

function renderQueueExplain() {
  $("queue-explain").textContent = config?.external_backend
    ? t("queue.foreignExplain", { n: QUEUE_SIZE, timeout: formatNumber(config?.reply_timeout_s ?? 10) })
    : t("queue.explain", { n: QUEUE_SIZE, turn: formatNumber(config?.turn_idle_s ?? 2, 1) });
}

/** Under --single the page's own connection takes a turn: the queue experiment says so. */
function queueNote() {
  return config?.single && !config?.external_backend
    ? t("queue.ownSingle", { turn: formatNumber(config?.turn_idle_s ?? 2, 1) }) : "";
}

/** The byte toggle's visible word is "Byte" in Indonesian; the contract names it "Bita". */
function renderBytesName() {
  const toggle = $("bytes-toggle");
  if (getLang() === "id") toggle.setAttribute("aria-label", "Bita");
  else toggle.removeAttribute("aria-label");
}

function renderForeignNotes() {
  const foreign = Boolean(config?.external_backend);
  $("settings-foreign").hidden = !foreign;
  $("cheat-foreign").hidden = !foreign;
}

async function main() {
  setLang(detectLang());
  $("lang").value = getLang();

  const store = new LogStore();
  const restored = restoreInto(store, loadConversation());
  const connection = new Connection();
  const conversation = new Conversation({ connection, store, getLang });
  conversation.nextNumber = 1 + Math.max(0, ...store.entries.map((e) => e.number ?? 0));
  keepSaved(store);
  const undoable = new UndoableClear(store);
  const sendHistory = new SendHistory();

  const view = new LogView({
    store,
    scroller: $("log"),
    list: $("log-list"),
    droppedNote: $("dropped-note"),
    emptyNote: $("log-empty"),
    jumpButton: $("jump-latest"),
    onCommand: async (entry) => {
      const command = commandFor(entry);
      try {
        await copyText(command);
        announce(t("entry.commandCopied", { cmd: command.length > 120 ? `${command.slice(0, 120)}…` : command }));
      } catch {
        announce(t("log.copyFailed"));
      }
    },
  });

  const serverView = new ServerView({
    modeNote: $("server-mode"),
    clientList: $("client-list"),
    noClients: $("no-clients"),
    consoleList: $("console-list"),
    feedNote: $("feed-note"),
    intro: $("server-intro"),
  });
  const queue = new QueueExperiment({
    serverView,
    button: $("queue-button"),
    summary: $("queue-summary"),
    timeline: $("queue-timeline"),
    legend: $("queue-legend"),
    getLang,
  });
  queue.note = queueNote;
  queue.ownLocal = () => connection.state.local;

  const targetChoice = new TargetChoice({
    form: $("target-form"), targetRow: $("target-row"), targetInput: $("target"),
    nameInput: $("session-name"), classRow: $("class-row"), classList: $("class-list"),
    note: $("target-note"), connection,
    // a student's own server may not speak this protocol's JSON: Raw, as with --backend
    onTarget: () => { $("mode-raw").checked = true; renderModeHelp(); },
  });
  connection.addEventListener("state", (e) => {
    const before = connectionState?.backend;
    connectionState = e.detail;
    renderStatus(e.detail);
    if (e.detail.backend !== before) renderSettings();
  });
  renderStatus(connection.state);
  renderModeHelp();
  renderQueueExplain();
  renderSettings();

  // --- sending and history
  const input = $("message");
  document.querySelector(".skip-link").addEventListener("click", (event) => {
    event.preventDefault();
    input.focus();
  });
  $("send-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    conversation.submit(text, currentMode(), $("line-ending").value);
    sendHistory.push(text);
    input.value = "";
  });
  input.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const value = event.key === "ArrowUp" ? sendHistory.up(input.value) : sendHistory.down();
    if (value === null) return;
    event.preventDefault();
    input.value = value;
    input.setSelectionRange(value.length, value.length);
  });
  for (const radio of document.querySelectorAll('input[name="mode"]')) {
    radio.addEventListener("change", renderModeHelp);
  }
  for (const button of document.querySelectorAll("[data-example]")) {
    button.addEventListener("click", () => {
      input.value = EXAMPLES[button.dataset.example]();
      input.focus();
      input.setSelectionRange(0, 0);
    });
  }

  // --- log tools
  const bytesToggle = $("bytes-toggle");
  bytesToggle.addEventListener("click", () => {
    const on = bytesToggle.getAttribute("aria-pressed") !== "true";
    bytesToggle.setAttribute("aria-pressed", String(on));
    view.setBytes(on);
  });
  const undoButton = $("undo-clear");
  $("clear-log").addEventListener("click", () => {
    undoable.clear();
    undoButton.hidden = false;
    announce(t("log.cleared"));
  });
  undoButton.addEventListener("click", () => {
    undoable.undo();
    undoButton.hidden = true;
    $("clear-log").focus();
    announce(t("log.undone"));
  });
  const applyFilter = () => view.setFilter(makeFilter($("log-filter-select").value, $("log-search").value));
  $("log-filter-select").addEventListener("change", applyFilter);
  $("log-search").addEventListener("input", applyFilter);
  if (restored) announce(t("log.restored", { n: restored }));

  // --- the student's details for the report, typed once
  const student = loadStudent();
  for (const field of STUDENT_FIELDS) {
    const box = $(`report-${field}`);
    box.value = student[field];
    box.addEventListener("input", () => {
      student[field] = box.value;
      saveStudent(student);
    });
  }

  const exportButton = $("export-button");
  const exportMenu = $("export-menu");
  const setMenu = (open, focusButton = false) => {
    exportMenu.hidden = !open;
    exportButton.setAttribute("aria-expanded", String(open));
    if (open) $("export-md").focus();
    else if (focusButton) exportButton.focus();
  };
  exportButton.addEventListener("click", () => setMenu(exportMenu.hidden));
  exportMenu.addEventListener("keydown", (event) => {
    if (event.key === "Escape") setMenu(false, true);
  });
  document.addEventListener("click", (event) => {
    if (!exportMenu.hidden && !event.target.closest(".export")) setMenu(false);
  });
  const reportEvents = () => store.entries
    .filter((e) => e.kind === "event" && /^(end_|unreachable_|closed|backend_refused|error)/.test(e.type))
    .map((e) => ({ time: e.time, text: eventText(e) }));
  const markdown = () => toMarkdown({
    rows: conversationRows(store.entries), config: configFor(config, connectionState),
    dropped: store.dropped, student,
    consoleLines: serverView.consoleText(), queueLines: queue.reportLines(), events: reportEvents(),
  });
  $("export-md").addEventListener("click", () => {
    download(`playground-${fileStamp()}.md`, markdown(), "text/markdown");
    setMenu(false, true);
  });
  $("export-csv").addEventListener("click", () => {
    download(`playground-${fileStamp()}.csv`, toCsv(conversationRows(store.entries)), "text/csv");
    setMenu(false, true);
  });
  $("copy-md").addEventListener("click", async () => {
    try {
      await copyText(markdown());
      announce(t("log.copied"));
    } catch {
      announce(t("log.copyFailed"));
    }
  });

  // --- language
  $("lang").addEventListener("change", (event) => {
    setLang(event.target.value);
    const url = new URL(location.href);
    url.searchParams.set("lang", getLang());
    window.history.replaceState(null, "", url);
  });
  onLangChange(() => {
    renderBytesName();
    renderStatus(connection.state);
    renderModeHelp();
    renderQueueExplain();
    renderSettings();
    targetChoice.render();
    view.rerender();
    serverView.schedule();
    queue.schedule();
  });

  // --- start: settings first, so a page bridging to a foreign server starts in Raw mode
  config = await loadConfig();
  if (config?.start_mode === "raw") $("mode-raw").checked = true;
  $("line-ending").value = config?.external_backend ? "none" : "lf";
  queue.setForeign(config?.external_backend);
  renderForeignNotes();
  renderBytesName();
  renderModeHelp();
  renderQueueExplain();
  renderSettings();
  targetChoice.configure(config);
  serverView.setBackend(config?.backend);
  serverView.start();
  connection.start();
}

main();
