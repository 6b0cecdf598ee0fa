// The byte view: a message as it went on the TCP wire. \r \n \t shown as escapes,
// printable ASCII as itself, everything else as UTF-8 bytes in hex.

const encoder = new TextEncoder();
const WIRE_SHOW_LIMIT = 4096; // bytes rendered; the rest is summarised

/** The wire bytes of a bridge message: `hex` (raw bytes, when not UTF-8) or `wire` (text). */
export function wireBytes(wire, hex) {
  if (typeof hex === "string" && hex.length) {
    const clean = hex.replace(/[^0-9a-fA-F]/g, "");
    const bytes = new Uint8Array(clean.length >> 1);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(clean.substr(i * 2, 2), 16);
    return bytes;
  }
  return encoder.encode(wire ?? "");
}

/**
 * Split bytes into display segments: {kind: "text" | "esc" | "hex", text}.
 * Consecutive printable ASCII joins one text segment; consecutive other bytes one hex segment.
 */
export function wireSegments(bytes, limit = WIRE_SHOW_LIMIT) {
  const segments = [];
  const shown = Math.min(bytes.length, limit);
  let text = "";
  let hex = [];
  const flushText = () => { if (text) { segments.push({ kind: "text", text }); text = ""; } };
  const flushHex = () => { if (hex.length) { segments.push({ kind: "hex", text: hex.join(" ") }); hex = []; } };
  for (let i = 0; i < shown; i++) {
    const b = bytes[i];
    if (b === 0x0d || b === 0x0a || b === 0x09) {
      flushText(); flushHex();
      segments.push({ kind: "esc", text: b === 0x0d ? "\\r" : b === 0x0a ? "\\n" : "\\t" });
    } else if (b >= 0x20 && b < 0x7f) {
      flushHex();
      text += String.fromCharCode(b);
    } else {
      flushText();
      hex.push(b.toString(16).padStart(2, "0"));
    }
  }
  flushText(); flushHex();
  return { segments, more: bytes.length - shown };
}

/** One line of text for export or a tooltip: the same rendering as plain text. */
export function wireText(bytes, limit = WIRE_SHOW_LIMIT) {
  const { segments, more } = wireSegments(bytes, limit);
  const text = segments.map((s) => (s.kind === "hex" ? `<${s.text}>` : s.text)).join("");
  return more > 0 ? `${text}… (+${more})` : text;
}

/** Render the segments into `container` with textContent only. */
export function renderWire(container, bytes, moreLabel) {
  const { segments, more } = wireSegments(bytes);
  const code = document.createElement("code");
  code.className = "wire-bytes";
  for (const segment of segments) {
    const span = document.createElement("span");
    span.className = `wire-${segment.kind}`;
    span.textContent = segment.text;
    code.append(span);
  }
  if (more > 0) {
    const tail = document.createElement("span");
    tail.className = "wire-more";
    tail.textContent = moreLabel(more);
    code.append(tail);
  }
  container.append(code);
}
