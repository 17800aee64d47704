import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

const TABBABLE =
  'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [href], [tabindex="0"]';

/**
 * Keeps Tab inside the dialog: from its last control to its first and back. (A modal <dialog> makes the page
 * inert, but Tab past its last control would leave for the browser's own controls.)
 */
function trapTab(event: KeyboardEvent) {
  if (event.key !== 'Tab') return;
  const dialog = event.currentTarget as HTMLDialogElement;
  const tabbable = [...dialog.querySelectorAll<HTMLElement>(TABBABLE)].filter(
    (el) => el.offsetParent !== null,
  );
  if (tabbable.length === 0) return event.preventDefault();
  const first = tabbable[0];
  const last = tabbable[tabbable.length - 1];
  const at = document.activeElement;
  if (event.shiftKey && (at === first || !tabbable.includes(at as HTMLElement))) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && at === last) {
    event.preventDefault();
    first.focus();
  }
}

/**
 * A modal dialog on the native <dialog>: showModal() makes the rest of the page inert, Escape closes it, Tab
 * stays inside; its title has the focus first; on close, focus goes back to what opened it.
 */
export function Dialog(props: {
  title: string;
  /** Changes when the dialog moves to another step: the new step's heading takes the focus. */
  step?: string;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  // Dialogs may stack (step-up over a command's dialog): each title has its own id.
  const titleId = useId();
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    dialog.current?.showModal();
    return () => {
      dialog.current?.close();
      // The opener may be gone (a deleted method's button): then the page's heading.
      const target = opener?.isConnected ? opener : document.querySelector<HTMLElement>('h1');
      target?.focus();
    };
  }, []);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    heading.current?.focus();
  }, [props.step]);
  return (
    <dialog
      ref={dialog}
      aria-labelledby={titleId}
      onKeyDown={trapTab}
      onCancel={(event) => {
        event.preventDefault();
        props.onClose();
      }}
    >
      <h2 id={titleId} ref={heading} tabIndex={-1}>
        {props.title}
      </h2>
      {props.children}
    </dialog>
  );
}
