import { useState } from 'preact/hooks';
import type { DeliveryMethod, PageMethod } from './api';
import { AddMethod, type SentCode } from './add-method';
import { Dialog } from './dialog';
import { Alert, useOneAtATime } from './one-at-a-time';
import { choiceLabel, methodName, type Ui } from './ui';

type Open =
  { kind: 'add'; resume?: SentCode } | { kind: 'delete'; method: PageMethod } | { kind: 'change' } | null;

/** The Security info page: the default sign-in method with Change, the methods with Delete, and Add method. */
export function SecurityInfo(props: { ui: Ui }) {
  const { ui } = props;
  const { m, page } = ui;
  const [open, setOpen] = useState<Open>(null);
  const close = () => setOpen(null);
  const defaultMethod = page.methods.find((method) => method.methodId === page.defaultMethod?.methodId);
  const defaultLabel =
    page.defaultMethod && defaultMethod
      ? choiceLabel(m, defaultMethod, page.defaultMethod.deliveryMethod)
      : (page.defaultMethod?.label ?? m.t('noDefault'));
  return (
    <>
      <h1 tabIndex={-1}>{m.t('title')}</h1>
      <p>{m.t('intro')}</p>
      {page.personalDataErased && (
        // Why the methods the person had are gone: their personal data was erased (it stays said once they add
        // methods again).
        <p class="notice" role="note" data-testid="erased-notice">
          {m.t(page.methods.length === 0 ? 'erasedAddMethod' : 'erased', {
            date: m.date(page.personalDataErased.erasedAt),
          })}
        </p>
      )}
      <p class="default">
        <span>
          {m.t('defaultMethod')} <strong data-testid="default-method">{defaultLabel}</strong>
        </span>
        {page.defaultMethod && (
          <button type="button" class="link" onClick={() => setOpen({ kind: 'change' })}>
            {m.t('change')}
          </button>
        )}
      </p>
      <button type="button" class="add" onClick={() => setOpen({ kind: 'add' })}>
        <span aria-hidden="true">+ </span>
        {m.t('addMethod')}
      </button>
      {page.methods.length === 0 ? (
        <p>{m.t('noMethods')}</p>
      ) : (
        <ul class="methods" aria-label={m.t('title')}>
          {page.methods.map((method) => (
            <li key={method.methodId} data-testid="method">
              <span class="name">{methodName(m, method.phoneType)}</span>
              <span class="number">{method.phoneNumber}</span>
              <span class={method.state === 'notAllowedByPolicy' ? 'note warning' : 'note'}>
                {method.state === 'notAllowedByPolicy'
                  ? m.t('notAllowedByPolicy')
                  : method.status === 'pendingVerification'
                    ? m.t('pending')
                    : method.lastUsedAt
                      ? m.t('lastUsed', { date: m.date(method.lastUsedAt) })
                      : m.t('added', { date: m.date(method.addedAt) })}
              </span>
              <span class="actions-cell">
                {/* A method the policy no longer allows receives no codes: it can only be deleted. */}
                {method.status === 'pendingVerification' && method.state === 'enabled' && (
                  <button
                    type="button"
                    class="link"
                    aria-label={m.t('enterCodeLabel', { method: methodName(m, method.phoneType) })}
                    onClick={() =>
                      setOpen({
                        kind: 'add',
                        resume: {
                          methodId: method.methodId,
                          phoneType: method.phoneType,
                          channel: method.lastCode?.channel ?? method.deliveryMethods[0],
                          destination: method.phoneNumber,
                        },
                      })
                    }
                  >
                    {m.t('enterCode')}
                  </button>
                )}
                <button
                  type="button"
                  class="link"
                  aria-label={m.t('deleteLabel', { method: methodName(m, method.phoneType) })}
                  onClick={() => setOpen({ kind: 'delete', method })}
                >
                  {m.t('delete')}
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
      {open?.kind === 'add' && <AddMethod ui={ui} resume={open.resume} onClose={close} />}
      {open?.kind === 'delete' && <DeleteMethod ui={ui} method={open.method} onClose={close} />}
      {open?.kind === 'change' && <ChangeDefault ui={ui} onClose={close} />}
    </>
  );
}

/** "Delete" → a confirmation warning that there is no undo → Yes. */
function DeleteMethod(props: { ui: Ui; method: PageMethod; onClose: () => void }) {
  const { ui, method } = props;
  const { m } = ui;
  const [busy, oneAtATime] = useOneAtATime();
  const [error, setError] = useState<string | null>(null);
  const name = methodName(m, method.phoneType);
  const yes = () =>
    oneAtATime(async () => {
      const result = await ui.run({ kind: 'delete', methodId: method.methodId });
      if (!result.ok) return setError(m.problem(result.problem.code));
      ui.announce(m.t('deleted', { method: name }));
      props.onClose();
    });
  return (
    <Dialog title={m.t('deleteTitle')} onClose={props.onClose}>
      <p>{m.t('deleteQuestion', { method: name, number: method.phoneNumber })}</p>
      <p class="warning">{m.t('noUndo')}</p>
      <Alert text={error} />
      <div class="actions">
        <button type="button" onClick={props.onClose}>
          {m.t('no')}
        </button>
        <button type="button" class="primary" disabled={busy} onClick={() => void yes()}>
          {m.t('yes')}
        </button>
      </div>
    </Dialog>
  );
}

/**
 * "Change" → a drop-down of every verified method and way of reaching it → Confirm. A method the authentication
 * methods policy no longer allows is never offered: the API would refuse it (403).
 */
function ChangeDefault(props: { ui: Ui; onClose: () => void }) {
  const { ui } = props;
  const { m, page } = ui;
  const choices = page.methods
    .filter((method) => method.status === 'verified' && method.state === 'enabled')
    .flatMap((method) =>
      method.deliveryMethods.map((deliveryMethod) => ({
        value: `${method.methodId} ${deliveryMethod}`,
        label: choiceLabel(m, method, deliveryMethod),
      })),
    );
  const current = page.defaultMethod
    ? `${page.defaultMethod.methodId} ${page.defaultMethod.deliveryMethod}`
    : '';
  const [choice, setChoice] = useState(current || (choices[0]?.value ?? ''));
  const [busy, oneAtATime] = useOneAtATime();
  const [error, setError] = useState<string | null>(null);
  const confirm = (event: Event) => {
    event.preventDefault();
    if (!choice) return;
    void oneAtATime(async () => {
      const [methodId, deliveryMethod] = choice.split(' ') as [string, DeliveryMethod];
      const result = await ui.run({ kind: 'changeDefault', body: { methodId, deliveryMethod } });
      if (!result.ok) return setError(m.problem(result.problem.code));
      ui.announce(m.t('defaultChanged', { label: choices.find((c) => c.value === choice)?.label ?? '' }));
      props.onClose();
    });
  };
  return (
    <Dialog title={m.t('changeTitle')} onClose={props.onClose}>
      <form onSubmit={confirm}>
        <label for="default-choice">{m.t('changeQuestion')}</label>
        {choices.length === 0 ? (
          <p>{m.t('noChoices')}</p>
        ) : (
          <select
            id="default-choice"
            value={choice}
            onChange={(event) => setChoice(event.currentTarget.value)}
          >
            {choices.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        )}
        <Alert text={error} />
        <div class="actions">
          <button type="button" onClick={props.onClose}>
            {m.t('cancel')}
          </button>
          <button type="submit" class="primary" disabled={busy || choices.length === 0}>
            {m.t('confirm')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
