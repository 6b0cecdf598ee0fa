// Reading JSON lines: one helper for every module that looks inside the bridge's messages
// and the service's replies.

/** The object a JSON text holds, or null (not a string, not JSON, or JSON but no object). */
export function parseJsonObject(text) {
  if (typeof text !== "string") return null;
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}
