// Send history for Up / Down in the message box, kept in localStorage across reloads.

const KEY = "playground.sendHistory.v1";
const MAX_ITEMS = 100;
const MAX_TEXT = 10000; // longer messages (a million digits) are not kept

function load(storage) {
  try {
    const items = JSON.parse(storage.getItem(KEY) || "[]");
    return Array.isArray(items) ? items.filter((x) => typeof x === "string") : [];
  } catch {
    return [];
  }
}

export class SendHistory {
  constructor(storage = window.localStorage) {
    this.storage = storage;
    this.items = load(storage);
    this.cursor = null; // index into items while browsing, else null
    this.draft = "";
  }

  push(text) {
    this.cursor = null;
    if (!text || text.length > MAX_TEXT) return;
    if (this.items[this.items.length - 1] !== text) this.items.push(text);
    if (this.items.length > MAX_ITEMS) this.items.splice(0, this.items.length - MAX_ITEMS);
    try {
      this.storage.setItem(KEY, JSON.stringify(this.items));
    } catch {
      // storage full or disabled: the history still works for this page's life
    }
  }

  /** The earlier message to show, or null to leave the box as it is. */
  up(current) {
    if (!this.items.length) return null;
    if (this.cursor === null) {
      this.draft = current;
      this.cursor = this.items.length - 1;
    } else if (this.cursor > 0) {
      this.cursor -= 1;
    } else {
      return null;
    }
    return this.items[this.cursor];
  }

  /** The later message, the draft when past the newest, or null when not browsing. */
  down() {
    if (this.cursor === null) return null;
    if (this.cursor < this.items.length - 1) {
      this.cursor += 1;
      return this.items[this.cursor];
    }
    this.cursor = null;
    return this.draft;
  }
}
