// A comment thread drawn as a card: the quoted text, each comment with its author's name, colour
// and time, and the thread's controls ("Reply", "Resolve", "Reopen"), plus the form that writes a
// comment or a reply ("Comment" / "Reply" text box, "Post" or Ctrl+Enter, "Cancel" or Escape).
// Everything from a peer goes in through textContent.

import { append, h } from "../dom";
import type { Reply, Thread } from "./model";

export interface CardActions {
  reply(id: string, text: string): void;
  resolve(id: string, resolved: boolean): void;
  /** The card (not one of its controls) was clicked: show its text. */
  focus(id: string): void;
}

function when(time: number): HTMLElement {
  const at = time ? new Date(time) : null;
  return h(
    "time",
    at ? { datetime: at.toISOString(), title: at.toLocaleString() } : {},
    at ? at.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }) : "",
  );
}

function renderReply(r: Reply): HTMLLIElement {
  const dot = h("span", { class: "comment-dot", "aria-hidden": "true" });
  dot.style.backgroundColor = r.color;
  return h(
    "li",
    { class: "comment" },
    h("div", { class: "comment-meta" }, dot, h("span", { class: "comment-author" }, r.name), when(r.time)),
    h("div", { class: "comment-text" }, r.text),
  );
}

/**
 * A text box with "Post" and "Cancel": Ctrl+Enter (or ⌘+Enter) posts, Escape cancels. `label` is
 * the box's accessible name.
 */
export function composer(
  label: string,
  onPost: (text: string) => void,
  onCancel: () => void,
): { form: HTMLFormElement; input: HTMLTextAreaElement } {
  const input = h("textarea", { class: "comment-input", rows: 2, maxlength: 4000, "aria-label": label, placeholder: `${label}…` });
  const form = h(
    "form",
    { class: "comment-form", autocomplete: "off" },
    input,
    h(
      "div",
      { class: "comment-form-buttons" },
      h("button", { type: "button", class: "secondary comment-cancel" }, "Cancel"),
      h("button", { type: "submit", class: "primary" }, "Post"),
    ),
  );
  const post = (): void => {
    const text = input.value.trim();
    if (!text) return;
    onPost(text);
    input.value = "";
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    post();
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      post();
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      onCancel();
    }
  });
  form.querySelector(".comment-cancel")?.addEventListener("click", onCancel);
  return { form, input };
}

/** One thread's card. Its reply box lives outside the redrawn part, so a draft survives news. */
export class Card {
  readonly el: HTMLElement;
  private readonly body = h("div", { class: "comment-body" });
  private readonly actions = h("div", { class: "comment-actions" });
  private readonly replyForm: { form: HTMLFormElement; input: HTMLTextAreaElement };
  private signature = "";

  constructor(
    readonly id: string,
    private readonly act: CardActions,
  ) {
    this.replyForm = composer(
      "Reply",
      (text) => {
        act.reply(id, text);
        this.showReply(false);
      },
      () => this.showReply(false),
    );
    this.replyForm.form.hidden = true;
    this.el = h("article", { class: "comment-thread", "data-thread": id }, this.body, this.actions, this.replyForm.form);
    this.el.addEventListener("click", (e) => {
      const target = e.target instanceof Element ? e.target : null;
      if (target?.closest("button, textarea, form, a")) return;
      act.focus(id);
    });
  }

  showReply(on: boolean): void {
    this.replyForm.form.hidden = !on;
    if (on) this.replyForm.input.focus();
  }

  /** Redraws the card if the thread (or whether it is orphaned) changed. */
  update(t: Thread, orphaned: boolean): void {
    const signature = JSON.stringify([t.quote, t.resolved, t.replies, orphaned]);
    if (signature === this.signature) return;
    this.signature = signature;
    const first = t.replies[0];
    this.el.setAttribute("aria-label", `Comment by ${first?.name ?? "someone"} on “${t.quote.slice(0, 60)}”`);
    this.el.classList.toggle("resolved", t.resolved);
    this.el.classList.toggle("orphaned", orphaned);
    this.body.replaceChildren();
    append(
      this.body,
      h("blockquote", { class: "comment-quote" }, t.quote),
      orphaned ? h("p", { class: "comment-note" }, "The commented text was deleted.") : null,
      t.resolved ? h("p", { class: "comment-note" }, "Resolved") : null,
      h("ol", { class: "comment-list" }, ...(t.resolved ? t.replies.slice(0, 1) : t.replies).map(renderReply)),
      t.resolved && t.replies.length > 1 ? h("p", { class: "comment-note" }, `${t.replies.length - 1} more`) : null,
    );
    const button = (label: string, run: () => void): HTMLButtonElement => {
      const b = h("button", { type: "button", class: "secondary" }, label);
      b.addEventListener("click", run);
      return b;
    };
    this.actions.replaceChildren(
      ...(t.resolved
        ? [button("Reopen", () => this.act.resolve(this.id, false))]
        : [button("Reply", () => this.showReply(true)), button("Resolve", () => this.act.resolve(this.id, true))]),
    );
    if (t.resolved) this.showReply(false);
  }
}
