// The system's share menu, on a phone (a touch screen with one): a link goes to a chat or a note in one tap, as
// people share there. Desktops have no such habit (and a menu of their own that would surprise): they copy.

/** Whether this device shares through a menu: a touch screen with navigator.share. */
export const hasShareMenu = () => typeof navigator.share === "function" && matchMedia("(pointer: coarse)").matches;

/** Hand `url` to the share menu: "shared", "closed" (the reader closed it), or null (no menu here, or it refused:
 *  copy instead). */
export async function shareMenu(url, title = document.title) {
  if (!hasShareMenu()) return null;
  try {
    await navigator.share({ title, url });
    return "shared";
  } catch (err) {
    return err.name === "AbortError" ? "closed" : null;
  }
}

/** A link to this page's state (a lab's "Link to this state"): on a phone, a tap opens the share menu with it
 *  instead of reloading the page it is on; elsewhere it stays a link (to copy, or open in a new tab). */
export function shareOnTap(anchor) {
  anchor?.addEventListener("click", (e) => {
    if (!hasShareMenu() || e.ctrlKey || e.metaKey || e.shiftKey) return;
    e.preventDefault();
    shareMenu(anchor.href);
  });
}
