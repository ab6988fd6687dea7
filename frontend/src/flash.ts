/**
 * A flash is a one-line message for the next page, such as "Victim added." after a form that navigates away on
 * success. It lives in memory only and is read once.
 */
let pending: { path: string; message: string } | null = null;

/** setFlash leaves message for the page at path. */
export function setFlash(path: string, message: string): void {
  pending = { path, message };
}

/** takeFlash returns the message left for path, once, or "". */
export function takeFlash(path: string): string {
  if (!pending || pending.path !== path) return "";
  const { message } = pending;
  pending = null;
  return message;
}
