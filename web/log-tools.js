// Tools around the conversation log (issue 12): it survives a reload (the last entries, in
// the browser's localStorage), Clear can be undone, and a filter (requests and replies /
// errors / everything) with a search narrows what is shown. The store stays the truth: the
// filter only hides entries in the view, exports still hold everything.

const STORAGE_KEY = "playground.conversation.v1";
export const KEEP = 300;   // entries kept across a reload
const SAVE_DELAY_MS = 250;

/** Entries as they can be stored: requests still waiting are marked as such, since a
 * reload never sends anything again. */
export function storable(entries, keep = KEEP) {
  return entries.slice(-keep).map((entry) => {
    const copy = { ...entry };
    if (copy.kind === "request" && ["queued", "sending", "sent"].includes(copy.state)) {
      copy.state = "lost";
      copy.lostHow = "reload";
    }
    return copy;
  });
}

export function saveConversation(store, storage = globalThis.localStorage) {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify({ entries: storable(store.entries) }));
  } catch {
    // storage full or disabled: the conversation still lives in the page
  }
}

export function loadConversation(storage = globalThis.localStorage) {
  try {
    const saved = JSON.parse(storage?.getItem(STORAGE_KEY) || "null");
    return Array.isArray(saved?.entries) ? saved.entries : [];
  } catch {
    return [];
  }
}

/** Put saved entries back into `store` (before anything else is logged). */
export function restoreInto(store, entries) {
  for (const entry of entries) {
    store.entries.push(entry);
    store.nextSeq = Math.max(store.nextSeq, (entry.seq ?? 0) + 1);
  }
  if (entries.length) store.emitChange({ cleared: true });
  return entries.length;
}

/** Save the store shortly after every change. */
export function keepSaved(store) {
  let timer = 0;
  store.addEventListener("change", () => {
    clearTimeout(timer);
    timer = setTimeout(() => saveConversation(store), SAVE_DELAY_MS);
  });
  addEventListener("pagehide", () => saveConversation(store));
}

/** Clear that can be undone: the cleared entries come back before anything logged since. */
export class UndoableClear {
  constructor(store) {
    this.store = store;
    this.cleared = null;
  }

  clear() {
    this.cleared = { entries: this.store.entries, dropped: this.store.dropped };
    this.store.clear();
  }

  get canUndo() {
    return this.cleared !== null;
  }

  undo() {
    if (!this.cleared) return;
    const { entries, dropped } = this.cleared;
    this.cleared = null;
    this.store.entries = [...entries, ...this.store.entries];
    this.store.dropped += dropped;
    this.store.emitChange({ cleared: true });
  }
}

function isError(entry) {
  if (entry.kind === "reply") return Boolean(entry.error);
  if (entry.kind === "request") return entry.state === "lost";
  return /^(error|backend_refused|unreachable_|end_(?!closed$))/.test(entry.type ?? "") ||
    (entry.type === "closed" && entry.params?.code !== 1000);
}

/** The filter function for the view: `kind` is all, messages or errors; `query` is a
 * case-insensitive search in the entry's shown text. */
export function makeFilter(kind, query) {
  const needle = query.trim().toLowerCase();
  return (entry, li) => {
    if (kind === "messages" && entry.kind === "event") return false;
    if (kind === "errors" && !isError(entry)) return false;
    return !needle || li.textContent.toLowerCase().includes(needle);
  };
}
