// Pasting rich text (slides, mail, a web page) keeps its structure: the clipboard's HTML becomes
// Markdown (bold, italics, lists, headings, links with their targets, tables) with turndown, as
// the server does for an imported HTML file. turndown parses the HTML into a detached document
// that never runs scripts or loads images; only the resulting Markdown text enters the editor.

import type { Extension } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import TurndownService from "turndown";
import { gfm } from "turndown-plugin-gfm";

let service: TurndownService | null = null;

function weight(node: HTMLElement): boolean {
  const w = node.style.fontWeight;
  return w === "bold" || w === "bolder" || Number(w) >= 600;
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
    filter: (node) => node.nodeName === "SPAN" && weight(node as HTMLElement) && (node as HTMLElement).style.fontStyle !== "italic",
    replacement: (content) => (content.trim() ? `**${content}**` : content),
  });
  s.addRule("styledItalic", {
    filter: (node) => node.nodeName === "SPAN" && (node as HTMLElement).style.fontStyle === "italic" && !weight(node as HTMLElement),
    replacement: (content) => (content.trim() ? `*${content}*` : content),
  });
  s.addRule("notBold", {
    filter: (node) => node.nodeName === "B" && /^(normal|[1-5]00)$/.test((node as HTMLElement).style.fontWeight),
    replacement: (content) => content,
  });
  service = s;
  return s;
}

export function htmlToMarkdown(html: string): string {
  return converter()
    .turndown(html)
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
