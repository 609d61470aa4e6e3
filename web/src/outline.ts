// The outline: the pad's headings in a panel beside the editor (hideable; a drawer on a phone), the
// one you are reading marked, a click jumping there. Each heading has a stable link, `#slug`
// (headingslug.ts, as GitHub and HedgeDoc make them): `/p/{pad}#goals` opens the pad scrolled to
// "Goals", and so does changing the address's fragment while the pad is open.
//
// The headings come from the editor's Markdown syntax tree, which CodeMirror keeps up to date
// incrementally; the outline walks only its block structure (headings, and the quotes and lists
// that may hold them), at most once an animation frame and only while the panel is open or a
// heading link waits for its heading, and redraws the list only when a heading's text or level
// changed: typing in a paragraph redraws nothing.

import { ensureSyntaxTree, syntaxTree } from "@codemirror/language";
import { type EditorState, StateEffect } from "@codemirror/state";
import { EditorView, ViewPlugin, type ViewUpdate } from "@codemirror/view";
import { byId, h, loadLocal, storeLocal } from "./dom";
import { Slugger } from "./headingslug";
import { icon } from "./icons";
import { headingText } from "./mdrender";

const OPEN_KEY = "ypad:outline";
/** Below this width the outline is a drawer over the pad, closed until asked for. */
const NARROW = "(max-width: 1099px)";
/** From this width on the outline is open unless this browser closed it (a laptop keeps its room). */
const ROOMY = "(min-width: 1400px)";
/** How long the parser may run to reach the end of a long pad before the outline is drawn. */
const PARSE_BUDGET_MS = 40;
/** Containers whose children may be headings; other blocks are skipped whole. */
const CONTAINERS = new Set(["Document", "Blockquote", "BulletList", "OrderedList", "ListItem"]);

export interface Heading {
  level: number;
  text: string;
  slug: string;
  /** Where the heading starts in the text. */
  from: number;
}

/** Heading sources → their text, so that a rebuild parses only headings that changed. */
const texts = new Map<string, string>();
const MAX_TEXTS = 5000;

function textOf(source: string): string {
  let text = texts.get(source);
  if (text === undefined) {
    if (texts.size >= MAX_TEXTS) texts.clear();
    text = headingText(source).trim();
    texts.set(source, text);
  }
  return text;
}

/** The headings of `state`'s Markdown, in order, with slugs unique within the pad. */
export function headingsOf(state: EditorState): Heading[] {
  const tree = ensureSyntaxTree(state, state.doc.length, PARSE_BUDGET_MS) ?? syntaxTree(state);
  const out: Heading[] = [];
  const slugs = new Slugger();
  tree.iterate({
    enter: (node) => {
      const m = /^(ATX|Setext)Heading(\d)$/.exec(node.name);
      if (!m) return CONTAINERS.has(node.name);
      let source = state.sliceDoc(node.from, node.to);
      if (m[1] === "ATX") source = source.replace(/^#{1,6}[ \t]*/, "").replace(/[ \t]+#+[ \t]*$|^#+[ \t]*$/, "");
      else source = source.replace(/\n[^\n]*$/, "");
      const text = textOf(source.trim());
      out.push({ level: Number(m[2]), text, slug: slugs.slug(text), from: node.from });
      return false;
    },
  });
  return out;
}

/** Another view of the pad that can show a heading (the rendered view). */
export interface HeadingView {
  /** Whether it is on screen now. */
  shown(): boolean;
  /** Scroll to the heading with this slug; false when it has none. */
  show(slug: string): boolean;
  /** The slug of the heading at the top of the view. */
  current(): string | null;
  /** Its scrolling element. */
  scroller: HTMLElement;
}

export interface Outline {
  /** Go to the heading with this slug; false when the pad has none. */
  jump(slug: string): boolean;
}

export function setupOutline(view: EditorView, opts: { toggleAfter: HTMLElement; others: HeadingView[] }): Outline {
  const list = h("ol", { class: "outline-list" });
  const empty = h("p", { class: "outline-empty" }, "Headings (# Title) show here.");
  const panel = h(
    "nav",
    { class: "outline-panel", id: "outline", "aria-labelledby": "outline-heading" },
    h("h2", { id: "outline-heading" }, "Outline"),
    list,
    empty,
  );
  byId("workspace").prepend(panel);
  const toggle = h(
    "button",
    {
      type: "button",
      class: "tool",
      id: "outline-toggle",
      title: "Outline: the pad's headings",
      "aria-label": "Outline",
      "aria-controls": "outline",
    },
    icon("outline"),
  );
  opts.toggleAfter.after(toggle);

  const narrow = window.matchMedia(NARROW);
  const openByDefault = (): boolean => !narrow.matches && (loadLocal(OPEN_KEY) ?? (window.matchMedia(ROOMY).matches ? "1" : "0")) === "1";
  let open = openByDefault();
  let headings: Heading[] = [];
  /** What the list shows, to redraw it only when that changes. */
  let drawn = "";
  let frame = 0;
  let stale = true;
  /** A `#slug` from the address whose heading has not been seen yet (the text is still loading). */
  let pending: string | null = slugFromHash();

  const editorShown = (): boolean => view.dom.getClientRects().length > 0;
  /** The editor grows with its text; the pad area around it scrolls. */
  const scroller = view.dom.closest<HTMLElement>(".pad-area") ?? view.scrollDOM;

  const rebuild = (): void => {
    stale = false;
    headings = headingsOf(view.state);
    const key = JSON.stringify(headings.map((x) => [x.level, x.text, x.slug]));
    if (key !== drawn) {
      drawn = key;
      list.replaceChildren(
        ...headings.map((x) =>
          h(
            "li",
            { class: `outline-item level-${x.level}` },
            h("a", { href: `#${encodeURIComponent(x.slug)}`, "data-slug": x.slug }, x.text || "(untitled)"),
          ),
        ),
      );
      empty.hidden = headings.length > 0;
    }
    markCurrent();
    if (pending !== null && jump(pending)) pending = null;
  };

  const schedule = (): void => {
    stale = true;
    if (frame !== 0 || (!open && pending === null)) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      rebuild();
    });
  };

  const current = (): string | null => {
    if (!editorShown()) return opts.others.find((o) => o.shown())?.current() ?? null;
    const top = scroller.getBoundingClientRect().top + 16;
    const pos = view.lineBlockAtHeight(top - view.documentTop).from;
    let slug: string | null = null;
    for (const x of headings) {
      if (x.from > pos) break;
      slug = x.slug;
    }
    return slug;
  };

  const markCurrent = (): void => {
    if (!open) return;
    const slug = current();
    for (const a of list.querySelectorAll<HTMLAnchorElement>("a[data-slug]")) {
      const here = a.dataset.slug === slug;
      if (here !== a.hasAttribute("aria-current")) {
        if (here) {
          a.setAttribute("aria-current", "location");
          a.scrollIntoView({ block: "nearest" });
        } else a.removeAttribute("aria-current");
      }
    }
  };

  const jump = (slug: string): boolean => {
    if (stale) {
      stale = false;
      headings = headingsOf(view.state);
    }
    const target = headings.find((x) => x.slug === slug);
    if (!target) return false;
    if (editorShown()) view.dispatch({ effects: EditorView.scrollIntoView(target.from, { y: "start", yMargin: 12 }) });
    for (const o of opts.others) if (o.shown()) o.show(slug);
    return true;
  };

  const render = (): void => {
    panel.hidden = !open;
    toggle.setAttribute("aria-pressed", String(open));
    document.body.classList.toggle("outline-open", open);
    if (open && stale) schedule();
    else if (open) markCurrent();
  };
  toggle.addEventListener("click", () => {
    open = !open;
    if (!narrow.matches) storeLocal(OPEN_KEY, open ? "1" : "0");
    render();
  });
  narrow.addEventListener("change", () => {
    open = openByDefault();
    render();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && narrow.matches && open) {
      open = false;
      render();
    }
  });

  list.addEventListener("click", (e) => {
    const a = e.target instanceof Element ? e.target.closest<HTMLAnchorElement>("a[data-slug]") : null;
    if (!a?.dataset.slug) return;
    e.preventDefault();
    // The address names the heading, so it can be copied as a link to it.
    history.replaceState(null, "", `#${encodeURIComponent(a.dataset.slug)}`);
    pending = null;
    jump(a.dataset.slug);
    if (narrow.matches) {
      open = false;
      render();
    }
  });
  window.addEventListener("hashchange", () => {
    const slug = slugFromHash();
    if (slug !== null && !jump(slug)) {
      pending = slug;
      schedule();
    }
  });

  let scrollFrame = 0;
  const onScroll = (): void => {
    if (scrollFrame !== 0 || !open) return;
    scrollFrame = requestAnimationFrame(() => {
      scrollFrame = 0;
      markCurrent();
    });
  };
  scroller.addEventListener("scroll", onScroll, { passive: true });
  for (const o of opts.others) o.scroller.addEventListener("scroll", onScroll, { passive: true });

  view.dispatch({
    effects: StateEffect.appendConfig.of(
      ViewPlugin.define(() => ({
        update(u: ViewUpdate) {
          if (u.docChanged || syntaxTree(u.startState) !== syntaxTree(u.state)) schedule();
        },
      })),
    ),
  });
  render();
  if (pending !== null) schedule();
  return { jump };
}

/** The heading slug in the address (`#goals`), or null. */
function slugFromHash(): string | null {
  const raw = location.hash.slice(1);
  if (raw === "") return null;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
