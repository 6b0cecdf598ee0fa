// Extra sections of the Markdown lab report, contributed by the page's features (the last
// check, for one), so export.js need not know each feature: a feature registers a function
// that returns its Markdown (or "" when it has nothing to add), export.js appends them in
// registration order.

const sections = [];

/** Register a section: `render(lang)` returns Markdown text, or "" for nothing. */
export function addReportSection(name, render) {
  sections.push({ name, render });
}

/** The registered sections' Markdown, in order, skipping empty ones. */
export function reportSections(lang) {
  return sections.map(({ render }) => render(lang)).filter((text) => text && text.trim());
}
