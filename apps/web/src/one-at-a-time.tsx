import { useRef, useState } from 'preact/hooks';

/**
 * Runs one action at a time: a second click while the first is on its way does nothing (and the command's
 * Idempotency-Key covers a click that gets through anyway). `busy` disables the buttons meanwhile.
 */
export function useOneAtATime(): [busy: boolean, run: (action: () => Promise<void>) => Promise<void>] {
  const running = useRef(false);
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<void>) => {
    if (running.current) return;
    running.current = true;
    setBusy(true);
    try {
      await action();
    } finally {
      running.current = false;
      setBusy(false);
    }
  };
  return [busy, run];
}

/** A message announced as soon as it appears (role="alert"); nothing while empty. */
export function Alert(props: { id?: string; text?: string | null }) {
  return (
    <p id={props.id} role="alert" class="error">
      {props.text ?? ''}
    </p>
  );
}
