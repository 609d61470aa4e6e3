// Where each comment thread's text is in the editor: a mark decoration per open thread, mapped
// through every change the editor sees (yours and, through the Yjs binding, everyone else's), so
// that following the text costs each change a map over the few anchors, not a walk of the pad.
// The anchors are set again from the Yjs relative positions whenever the threads change, and when
// a change emptied one (its text deleted — or undone, and perhaps back).

import { type EditorState, RangeSet, StateEffect, StateField } from "@codemirror/state";
import { Decoration, type DecorationSet, EditorView } from "@codemirror/view";

export interface AnchorRange {
  id: string;
  from: number;
  to: number;
}

/** Replaces every anchor (the threads or their resolution changed). */
export const setAnchors = StateEffect.define<{
  ranges: AnchorRange[];
  active: string | null;
  draft: { from: number; to: number } | null;
}>();
/** Marks one thread as the one being looked at (or none). */
export const setActive = StateEffect.define<string | null>();
/** The selection being commented on, before the comment is posted. */
export const setDraft = StateEffect.define<{ from: number; to: number } | null>();

const DRAFT_ID = "";

function mark(id: string, active: boolean): Decoration {
  return Decoration.mark({
    class: id === DRAFT_ID ? "cm-comment-draft" : active ? "cm-comment-anchor cm-comment-active" : "cm-comment-anchor",
    attributes: id === DRAFT_ID ? {} : { "data-thread": id },
    // Typing at either edge stays outside the commented text.
    inclusive: false,
    id,
  });
}

interface AnchorState {
  marks: DecorationSet;
  active: string | null;
}

function build(
  ranges: readonly AnchorRange[],
  active: string | null,
  draft: { from: number; to: number } | null,
  len: number,
): DecorationSet {
  const list = ranges.filter((r) => r.from < r.to && r.to <= len).map((r) => mark(r.id, r.id === active).range(r.from, r.to));
  if (draft && draft.from < draft.to && draft.to <= len) list.push(mark(DRAFT_ID, false).range(draft.from, draft.to));
  return RangeSet.of(list, true);
}

export const anchorField = StateField.define<AnchorState>({
  create: () => ({ marks: Decoration.none, active: null }),
  update(value, tr) {
    let { marks, active } = value;
    if (tr.docChanged) marks = marks.map(tr.changes);
    for (const e of tr.effects) {
      if (e.is(setAnchors)) {
        active = e.value.active;
        marks = build(e.value.ranges, active, e.value.draft, tr.state.doc.length);
      } else if (e.is(setActive) && e.value !== active) {
        active = e.value;
        marks = build(anchorsOf(marks), active, draftOf(marks), tr.state.doc.length);
      } else if (e.is(setDraft)) {
        marks = build(anchorsOf(marks), active, e.value, tr.state.doc.length);
      }
    }
    return marks === value.marks && active === value.active ? value : { marks, active };
  },
  provide: (f) => EditorView.decorations.from(f, (v) => v.marks),
});

function anchorsOf(marks: DecorationSet): AnchorRange[] {
  const out: AnchorRange[] = [];
  marks.between(0, Number.MAX_SAFE_INTEGER, (from, to, deco) => {
    const id = deco.spec.id as string;
    if (id !== DRAFT_ID) out.push({ id, from, to });
  });
  return out;
}

function draftOf(marks: DecorationSet): { from: number; to: number } | null {
  let draft: { from: number; to: number } | null = null;
  marks.between(0, Number.MAX_SAFE_INTEGER, (from, to, deco) => {
    if (deco.spec.id === DRAFT_ID) draft = { from, to };
  });
  return draft;
}

/** Every open thread's text as it is now, by thread id. */
export function currentAnchors(state: EditorState): Map<string, { from: number; to: number }> {
  const out = new Map<string, { from: number; to: number }>();
  for (const a of anchorsOf(state.field(anchorField).marks)) out.set(a.id, { from: a.from, to: a.to });
  return out;
}

export function currentDraft(state: EditorState): { from: number; to: number } | null {
  return draftOf(state.field(anchorField).marks);
}

export function activeThread(state: EditorState): string | null {
  return state.field(anchorField).active;
}

/** The thread whose text is at `pos`, if any. */
export function threadAt(state: EditorState, pos: number): string | null {
  let found: string | null = null;
  state.field(anchorField).marks.between(pos, pos, (from, to, deco) => {
    const id = deco.spec.id as string;
    if (id !== DRAFT_ID && from <= pos && pos <= to) found = id;
  });
  return found;
}

/** How many anchors the field holds (a change that emptied one lowers it). */
export function anchorCount(state: EditorState): number {
  return state.field(anchorField).marks.size;
}
