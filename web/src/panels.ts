// The side panels (user list and chat) and their toolbar toggles. On a wide screen both panels sit
// in a column right of the pad and the toggles show or hide them; on a phone-sized screen the column
// becomes a drawer over the pad showing one panel at a time, closed until a toggle opens it.

const NARROW = "(max-width: 860px)";

export interface Panels {
  isOpen(panel: "users" | "chat"): boolean;
  onOpen(panel: "users" | "chat", listener: () => void): void;
}

export function setupPanels(els: {
  sidebar: HTMLElement;
  users: HTMLElement;
  chat: HTMLElement;
  usersToggle: HTMLButtonElement;
  chatToggle: HTMLButtonElement;
}): Panels {
  const narrow = window.matchMedia(NARROW);
  const open = { users: !narrow.matches, chat: !narrow.matches };
  const listeners: Record<"users" | "chat", Array<() => void>> = { users: [], chat: [] };

  const render = (): void => {
    els.users.hidden = !open.users;
    els.chat.hidden = !open.chat;
    els.sidebar.hidden = !open.users && !open.chat;
    els.usersToggle.setAttribute("aria-pressed", String(open.users));
    els.chatToggle.setAttribute("aria-pressed", String(open.chat));
  };
  const toggle = (panel: "users" | "chat"): void => {
    const other = panel === "users" ? "chat" : "users";
    open[panel] = !open[panel];
    // A phone screen has room for one panel at a time.
    if (open[panel] && narrow.matches) open[other] = false;
    render();
    if (open[panel]) for (const l of listeners[panel]) l();
  };
  els.usersToggle.addEventListener("click", () => toggle("users"));
  els.chatToggle.addEventListener("click", () => toggle("chat"));
  // Crossing the breakpoint resets to that layout's default.
  narrow.addEventListener("change", () => {
    open.users = open.chat = !narrow.matches;
    render();
  });
  // Escape closes the drawer on a phone.
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && narrow.matches && (open.users || open.chat)) {
      open.users = open.chat = false;
      render();
    }
  });
  render();

  return {
    isOpen: (panel) => open[panel],
    onOpen: (panel, l) => listeners[panel].push(l),
  };
}
