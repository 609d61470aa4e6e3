// Pasting rich text (slides, mail, a web page) keeps its structure: the clipboard's HTML becomes
// Markdown (bold, italics, lists, headings, links with their targets, tables) with turndown, as
// the server does for an imported HTML file. turndown parses the HTML into a detached document
// that never runs scripts or loads images; only the resulting Markdown text enters the editor.

import type { Extension } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import TurndownService from "turndown";
import { gfm } from "turndown-plugin-gfm";

let service: TurndownService | null = null;

function styleOf(node: Node): CSSStyleDeclaration | null {
  return node instanceof HTMLElement ? node.style : null;
}

function isBold(node: Node): boolean {
  const w = styleOf(node)?.fontWeight ?? "";
  return w === "bold" || w === "bolder" || Number(w) >= 600;
}

function isItalic(node: Node): boolean {
  return styleOf(node)?.fontStyle === "italic";
}

function converter(): TurndownService {
  if (service) return service;
  const s = new TurndownService({
    headingStyle: "atx",
    bulletListMarker: "-",
    codeBlockStyle: "fenced",
    emDelimiter: "*",
    strongDelimiter: "**",
    hr: "---",
  });
  s.use(gfm);
  s.remove(["script", "style", "title", "meta", "head", "noscript", "template"]);
  // Office and Google Docs write bold and italics as styled spans, and wrap a whole paste in
  // `<b style="font-weight:normal">`, which must not make everything bold.
  s.addRule("styledBold", {
    filter: (node) => node.nodeName === "SPAN" && isBold(node) && !isItalic(node),
    replacement: (content) => (content.trim() ? `**${content}**` : content),
  });
  s.addRule("styledItalic", {
    filter: (node) => node.nodeName === "SPAN" && isItalic(node) && !isBold(node),
    replacement: (content) => (content.trim() ? `*${content}*` : content),
  });
  // One space after a list marker, as people type it (turndown's default is three).
  s.addRule("listItem", {
    filter: "li",
    replacement: (content, node, options) => {
      const parent = node.parentNode;
      let prefix = `${options.bulletListMarker} `;
      if (parent instanceof HTMLElement && parent.nodeName === "OL") {
        const start = Number(parent.getAttribute("start") ?? "1") || 1;
        prefix = `${start + Array.prototype.indexOf.call(parent.children, node)}. `;
      }
      const body = content
        .replace(/^\n+/, "")
        .replace(/\n+$/, "\n")
        .replace(/\n/gm, `\n${" ".repeat(prefix.length)}`);
      return prefix + body + (node.nextSibling && !/\n$/.test(body) ? "\n" : "");
    },
  });
  s.addRule("notBold", {
    filter: (node) => node.nodeName === "B" && /^(normal|[1-5]00)$/.test(styleOf(node)?.fontWeight ?? ""),
    replacement: (content) => content,
  });
  service = s;
  return s;
}

/**
 * Inline event handlers (`onerror=…`) taken out before parsing. They could not run anyway (the
 * parsed document is inert and the page's Content-Security-Policy forbids inline script), but the
 * browser reports each one it parses as a policy violation.
 */
const HANDLER_ATTRIBUTE = /\s+on[a-z]+\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi;

export function htmlToMarkdown(html: string): string {
  return converter()
    .turndown(html.replace(/<[a-z][^>]*>/gi, (tag) => tag.replace(HANDLER_ATTRIBUTE, "")))
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** Convert pasted HTML to Markdown; plain-text pastes are left to the editor. */
export function pasteAsMarkdown(): Extension {
  return EditorView.domEventHandlers({
    paste(event, view) {
      if (view.state.readOnly) return false;
      const html = event.clipboardData?.getData("text/html") ?? "";
      if (!html.trim()) return false;
      const markdown = htmlToMarkdown(html);
      if (!markdown) return false;
      event.preventDefault();
      view.dispatch(view.state.replaceSelection(markdown), { scrollIntoView: true, userEvent: "input.paste" });
      return true;
    },
  });
}
