// The pad's Markdown rendered to HTML in the browser, by the rules of the HTML export
// (ypad-formats' `markdown`): CommonMark with tables, strikethrough and task lists, a line break in
// the text is a line break on the page, bare http(s) URLs become links, and raw HTML is shown as
// text, never passed through (markdown-it with `html: false` escapes it), so nothing from a pad can
// run as script. Links and images with script-capable URLs are not made (markdown-it's
// `validateLink`: `javascript:`, `vbscript:`, `file:` and non-image `data:`) where the export
// points them at `#`. Links open in a new tab. An image from another site is shown as a link to it,
// as the pages' Content-Security-Policy would block it.
//
// Every block carries `data-line`, its first source line (0-based) counted from its top-level
// block's, so a caret's position can be found on the page, and every heading an `id`: its slug (headingslug.ts), as in the outline, behind
// a prefix.
//
// The document is rendered as a list of top-level blocks, so a view can replace only the blocks
// that changed (readingview.ts).

import MarkdownIt from "markdown-it";
import type { Token } from "markdown-it";
import taskLists from "markdown-it-task-lists";
import { Slugger } from "./headingslug";

const md = new MarkdownIt({ html: false, breaks: true, linkify: true, typographer: false });
md.use(taskLists);
// The export links only bare http(s):// URLs: no "www.example.org", e-mail addresses or other schemes.
md.linkify.set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false });
md.linkify.add("ftp:", null).add("mailto:", null).add("//", null);

/**
 * A rendered heading's id is its slug after this prefix, so a pad's "# Status" cannot take the id
 * of an element of the page; `#status` in the address is looked up by the page's script.
 */
export const HEADING_ID_PREFIX = "md-";

/** The plain text of a heading's inline tokens: what its slug is made of. */
export function inlineText(tokens: readonly Token[] | null): string {
  let out = "";
  for (const t of tokens ?? []) {
    if (t.type === "text" || t.type === "code_inline") out += t.content;
    else if (t.type === "softbreak" || t.type === "hardbreak") out += " ";
    else if (t.type === "image") out += inlineText(t.children);
  }
  return out;
}

/** The plain text of one heading's source text (without its `#` marks), as the renderer sees it. */
export function headingText(source: string): string {
  return inlineText(md.parseInline(source, {})[0]?.children ?? null);
}

// Source lines and heading ids, after the inline rules have run (task lists included). A block's
// `data-line` counts from the start of its top-level block, so a block's HTML does not change when
// lines are added above it, and a view keeps its element (renderview.ts).
md.core.ruler.push("ypad_lines_ids", (state) => {
  const slugs = new Slugger();
  const tokens = state.tokens;
  let depth = 0;
  let blockStart = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (depth === 0 && t.map) blockStart = t.map[0];
    depth += t.nesting;
    if (t.map && t.nesting !== -1 && t.block) t.attrSet("data-line", String(t.map[0] - blockStart));
    if (t.type === "heading_open") t.attrSet("id", HEADING_ID_PREFIX + slugs.slug(inlineText(tokens[i + 1]?.children ?? null)));
    // The export writes struck text as <del>, as GitHub does.
    for (const c of t.children ?? []) if (c.type === "s_open" || c.type === "s_close") c.tag = "del";
  }
  return true;
});

const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const t = tokens[idx]!;
  // A link within the pad (a heading's `#slug`) stays in the page; any other opens a new tab.
  if (!String(t.attrGet("href") ?? "").startsWith("#")) {
    t.attrSet("target", "_blank");
    t.attrSet("rel", "noopener noreferrer");
  }
  return defaultLinkOpen(tokens, idx, options, env, self);
};

// The pages' Content-Security-Policy loads images only from ypad itself (and `data:`): an image
// from elsewhere would be a broken icon and a policy violation, so it is shown as a link to it.
const defaultImage = md.renderer.rules.image ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.image = (tokens, idx, options, env, self) => {
  const t = tokens[idx]!;
  const src = String(t.attrGet("src") ?? "");
  if (/^data:image\//i.test(src) || (src.startsWith("/") && !src.startsWith("//"))) return defaultImage(tokens, idx, options, env, self);
  const alt = self.renderInlineAsText(t.children ?? [], options, env) || src;
  return `<a class="md-image-link" href="${md.utils.escapeHtml(src)}" target="_blank" rel="noopener noreferrer">${md.utils.escapeHtml(alt)}</a>`;
};

/** One top-level block of the rendered document. */
export interface Block {
  /** Its HTML (escaped; no raw HTML from the pad). */
  html: string;
  /** Its first source line, 0-based. */
  line: number;
}

/** `markdown` rendered as its top-level blocks, in order. */
export function renderBlocks(markdown: string): Block[] {
  const env = {};
  const tokens = md.parse(markdown, env);
  const blocks: Block[] = [];
  let start = 0;
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    depth += tokens[i]!.nesting;
    if (depth !== 0) continue;
    const slice = tokens.slice(start, i + 1);
    blocks.push({ html: md.renderer.render(slice, md.options, env), line: slice[0]!.map?.[0] ?? 0 });
    start = i + 1;
  }
  return blocks;
}

/** `markdown` rendered as one HTML string. */
export function renderHtml(markdown: string): string {
  return md.render(markdown);
}
