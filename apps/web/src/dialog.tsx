import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/**
 * A modal dialog on the native <dialog>: showModal() makes the rest of the page inert (focus stays inside,
 * Escape closes it); on close, focus goes back to what opened it.
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
      aria-labelledby="dialog-title"
      onCancel={(event) => {
        event.preventDefault();
        props.onClose();
      }}
    >
      <h2 id="dialog-title" ref={heading} tabIndex={-1}>
        {props.title}
      </h2>
      {props.children}
    </dialog>
  );
}
