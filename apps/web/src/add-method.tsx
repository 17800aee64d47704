import { getCountries, getCountryCallingCode, type CountryCode } from 'libphonenumber-js/min';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { DeliveryMethod, PhoneType, Problem } from './api';
import { Dialog } from './dialog';
import type { Messages } from './i18n';
import { Alert, useOneAtATime } from './one-at-a-time';
import { methodName, type Ui } from './ui';

/** A code on its way to a phone: what the add (or a resend) answered. */
export interface SentCode {
  methodId: string;
  phoneType: PhoneType;
  channel: DeliveryMethod;
  destination: string;
}

type Step =
  | { kind: 'choose' }
  | { kind: 'phone'; phoneType: PhoneType }
  | { kind: 'code'; sent: SentCode }
  | { kind: 'done' };

/** The browser's region (en-US → US), for the country select's default. */
function browserRegion(): CountryCode {
  for (const tag of navigator.languages ?? [navigator.language]) {
    try {
      const region = new Intl.Locale(tag).maximize().region;
      if (region && (getCountries() as string[]).includes(region)) return region as CountryCode;
    } catch {
      // not a usable tag
    }
  }
  return 'US';
}

/** Add method → Add a method (Phone) → Phone (number, Text me a code / Call me) → Enter the code → Done. */
export function AddMethod(props: { ui: Ui; onClose: () => void; resume?: SentCode }) {
  const { ui } = props;
  const { m } = ui;
  const [step, setStep] = useState<Step>(
    props.resume ? { kind: 'code', sent: props.resume } : { kind: 'choose' },
  );
  const title =
    step.kind === 'choose' ? m.t('addTitle') : step.kind === 'code' ? m.t('codeTitle') : m.t('successTitle');
  return (
    <Dialog
      title={step.kind === 'phone' ? methodName(m, step.phoneType) : title}
      step={step.kind}
      onClose={props.onClose}
    >
      {step.kind === 'choose' && (
        <ChooseMethod
          ui={ui}
          onCancel={props.onClose}
          onChosen={(phoneType) => setStep({ kind: 'phone', phoneType })}
        />
      )}
      {step.kind === 'phone' && (
        <PhoneStep
          ui={ui}
          phoneType={step.phoneType}
          onBack={() => setStep({ kind: 'choose' })}
          onSent={(sent) => setStep({ kind: 'code', sent })}
        />
      )}
      {step.kind === 'code' && (
        <CodeStep
          ui={ui}
          sent={step.sent}
          onCancel={props.onClose}
          onVerified={() => setStep({ kind: 'done' })}
        />
      )}
      {step.kind === 'done' && (
        <>
          <p role="status">{m.t('success')}</p>
          <div class="actions">
            <button type="button" class="primary" onClick={props.onClose}>
              {m.t('done')}
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}

/** The ways the authentication methods policy lets a new phone of this type be reached (the page says). */
const channelsFor = (ui: Ui, phoneType: PhoneType): DeliveryMethod[] =>
  ui.page.allowedMethodTypes.find((allowed) => allowed.phoneType === phoneType)?.deliveryMethods ?? [];

/**
 * The types the authentication methods policy lets a person add, and only those: the API would refuse the others
 * (403 method-not-allowed-by-policy).
 */
function ChooseMethod(props: { ui: Ui; onCancel: () => void; onChosen: (type: PhoneType) => void }) {
  const { m, page } = props.ui;
  const types = page.allowedMethodTypes.map((allowed) => allowed.phoneType);
  const [choice, setChoice] = useState<PhoneType | ''>('');
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        if (choice) props.onChosen(choice);
      }}
    >
      {types.length === 0 ? (
        <p>{m.t('noMethodAllowed')}</p>
      ) : (
        <>
          <label for="method-choice">{m.t('whichMethod')}</label>
          <select
            id="method-choice"
            value={choice}
            onChange={(e) => setChoice(e.currentTarget.value as PhoneType)}
          >
            <option value="">{m.t('chooseMethod')}</option>
            {types.map((type) => (
              <option key={type} value={type}>
                {methodName(m, type)}
              </option>
            ))}
          </select>
        </>
      )}
      <div class="actions">
        <button type="button" onClick={props.onCancel}>
          {m.t('cancel')}
        </button>
        <button type="submit" class="primary" disabled={!choice}>
          {m.t('add')}
        </button>
      </div>
    </form>
  );
}

/** Refusals without a field of their own, shown where they belong. */
const FIELD_OF_CODE: Record<string, string> = {
  'invalid-phone-number': 'phoneNumber',
  'number-not-allowed': 'phoneNumber',
  'phone-type-taken': 'phoneNumber',
  'number-cannot-receive-sms': 'deliveryMethod',
  'delivery-method-not-allowed': 'deliveryMethod',
  'extension-not-allowed': 'extension',
};

/** Where a refusal belongs: the fields it names (errors[].field), or the field its code is about. */
function errorsOf(m: Messages, problem: Problem | null): Record<string, string> {
  if (!problem) return {};
  const fields = (problem.errors ?? []).map((error) => error.field);
  if (fields.length === 0 && FIELD_OF_CODE[problem.code]) fields.push(FIELD_OF_CODE[problem.code]);
  return Object.fromEntries(fields.map((field) => [field, m.problem(problem.code)]));
}

function FieldError(props: { id: string; text?: string }) {
  return props.text ? (
    <p id={props.id} class="error">
      {props.text}
    </p>
  ) : null;
}

function regionOptions(m: Messages) {
  return getCountries()
    .map((code) => ({ code, label: `${m.region(code)} (+${getCountryCallingCode(code)})` }))
    .sort((a, b) => a.label.localeCompare(b.label, m.language));
}

function PhoneStep(props: {
  ui: Ui;
  phoneType: PhoneType;
  onBack: () => void;
  onSent: (sent: SentCode) => void;
}) {
  const { ui, phoneType } = props;
  const { m } = ui;
  const regions = useMemo(() => regionOptions(m), [m]);
  const [region, setRegion] = useState<CountryCode>(browserRegion);
  const [number, setNumber] = useState('');
  const [extension, setExtension] = useState('');
  // Texts go to the mobile phone only (Graph's rule): the alternate and the office phone are called; and only
  // the channels the authentication methods policy allows are offered.
  const channels = channelsFor(ui, phoneType);
  const [delivery, setDelivery] = useState<DeliveryMethod>(channels[0] ?? 'voice');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [sending, oneAtATime] = useOneAtATime();
  const errors = errorsOf(m, problem);
  const fieldProps = (field: string) =>
    errors[field] ? { 'aria-invalid': true, 'aria-describedby': `${field}-error` } : {};
  const unplaced = problem && Object.keys(errors).length === 0;

  const next = (event: Event) => {
    event.preventDefault();
    void oneAtATime(async () => {
      const result = await ui.run({
        kind: 'addPhone',
        body: {
          phoneNumber: number,
          phoneType,
          deliveryMethod: delivery,
          countryCode: region,
          ...(extension ? { extension } : {}),
        },
      });
      if (!result.ok) return setProblem(result.problem);
      const { methodId, code } = result.data;
      props.onSent({ methodId, phoneType, channel: code.channel, destination: code.destination });
    });
  };

  return (
    <form onSubmit={next} noValidate>
      <p>{m.t('phoneIntro')}</p>
      <p>{m.t('phoneQuestion')}</p>
      <div class="phone-row">
        <div class="field">
          <label for="country">{m.t('country')}</label>
          <select
            id="country"
            value={region}
            onChange={(e) => setRegion(e.currentTarget.value as CountryCode)}
            {...fieldProps('countryCode')}
          >
            {regions.map((r) => (
              <option key={r.code} value={r.code}>
                {r.label}
              </option>
            ))}
          </select>
          <FieldError id="countryCode-error" text={errors.countryCode} />
        </div>
        <div class="field">
          <label for="phone-number">{m.t('phoneNumber')}</label>
          <input
            id="phone-number"
            type="tel"
            autoComplete="tel"
            value={number}
            onInput={(e) => setNumber(e.currentTarget.value)}
            {...fieldProps('phoneNumber')}
          />
          <FieldError id="phoneNumber-error" text={errors.phoneNumber} />
        </div>
        {phoneType === 'office' && (
          <div class="field">
            <label for="extension">{m.t('extension')}</label>
            <input
              id="extension"
              inputMode="numeric"
              value={extension}
              onInput={(e) => setExtension(e.currentTarget.value)}
              {...fieldProps('extension')}
            />
            <FieldError id="extension-error" text={errors.extension} />
          </div>
        )}
      </div>
      <fieldset {...fieldProps('deliveryMethod')}>
        <legend>{m.t('deliveryQuestion')}</legend>
        {channels.map((method) => (
          <label key={method} class="radio">
            <input
              type="radio"
              name="delivery"
              value={method}
              checked={delivery === method}
              onChange={() => setDelivery(method)}
            />
            {m.t(`delivery.${method}`)}
          </label>
        ))}
        <FieldError id="deliveryMethod-error" text={errors.deliveryMethod} />
      </fieldset>
      <p class="hint">{m.t('ratesApply')}</p>
      <Alert text={unplaced ? m.problem(problem.code) : ''} />
      <div class="actions">
        <button type="button" onClick={props.onBack}>
          {m.t('back')}
        </button>
        <button type="submit" class="primary" disabled={sending}>
          {m.t('next')}
        </button>
      </div>
    </form>
  );
}

/** Seconds from now until `iso` (0 once past). */
const secondsUntil = (iso: string | undefined, now: number) =>
  iso ? Math.max(0, Math.ceil((Date.parse(iso) - now) / 1000)) : 0;

/** Deliveries that will not reach the person: say so and offer a call. */
const NOT_ARRIVING = new Set(['undeliverable', 'blocked', 'failed', 'skipped']);

function CodeStep(props: { ui: Ui; sent: SentCode; onCancel: () => void; onVerified: () => void }) {
  const { ui } = props;
  const { m, page } = ui;
  const [sent, setSent] = useState(props.sent);
  const [code, setCode] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [now, setNow] = useState(Date.now());
  const [sending, act] = useOneAtATime();
  const method = page.methods.find((candidate) => candidate.methodId === sent.methodId);
  const lastCode = method?.lastCode ?? null;
  const wait = secondsUntil(lastCode?.resendAvailableAt, now);

  // The countdown, and the code's delivery as the worker records it.
  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 1000);
    const follow = setInterval(() => void ui.refresh(), 2000);
    return () => {
      clearInterval(tick);
      clearInterval(follow);
    };
  }, []);

  // WebOTP: where the browser has it, the text message's code fills itself in (the message ends `@<domain> #<code>`).
  useEffect(() => {
    if (!('OTPCredential' in window)) return;
    const abort = new AbortController();
    navigator.credentials
      .get({ otp: { transport: ['sms'] }, signal: abort.signal } as CredentialRequestOptions)
      .then((credential) => {
        const otp = (credential as { code?: string } | null)?.code;
        if (otp) setCode(otp);
      })
      .catch(() => undefined);
    return () => abort.abort();
  }, [sent.methodId]);

  const verify = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      const result = await ui.run({ kind: 'verify', methodId: sent.methodId, body: { code: code.trim() } });
      if (result.ok) return props.onVerified();
      setProblem(result.problem);
    });
  };

  const resend = (deliveryMethod?: DeliveryMethod) =>
    void act(async () => {
      const result = await ui.run({
        kind: 'resend',
        methodId: sent.methodId,
        body: deliveryMethod ? { deliveryMethod } : {},
      });
      if (!result.ok) return setProblem(result.problem);
      setProblem(null);
      setCode('');
      setSent({ ...sent, channel: result.data.code.channel, destination: result.data.code.destination });
      ui.announce(m.t('codeResent'));
    });

  const codeMessage =
    problem?.code === 'code-incorrect'
      ? m.t('attemptsLeft', { count: problem.attemptsRemaining ?? 0 })
      : problem?.code === 'code-locked'
        ? m.t('codeLocked')
        : problem?.code === 'code-expired'
          ? m.t('codeExpired')
          : problem
            ? m.problem(problem.code)
            : '';
  const needsNewCode =
    problem?.code === 'code-locked' ||
    problem?.code === 'code-expired' ||
    (problem?.code === 'code-incorrect' && problem.attemptsRemaining === 0);
  const delivery = lastCode?.delivery;
  const notArriving = delivery !== undefined && NOT_ARRIVING.has(delivery);
  const canCall = method?.deliveryMethods.includes('voice') && lastCode?.channel === 'sms';

  return (
    <form onSubmit={verify} noValidate>
      <p>{m.t(`codeSent.${sent.channel}`, { destination: sent.destination })}</p>
      <div class="field">
        <label for="code">{m.t('code')}</label>
        <input
          id="code"
          autoComplete="one-time-code"
          inputMode="numeric"
          maxLength={6}
          value={code}
          onInput={(e) => setCode(e.currentTarget.value)}
          aria-invalid={problem ? true : undefined}
          aria-describedby="code-error"
        />
        <Alert id="code-error" text={codeMessage} />
      </div>
      <p role="status" class={notArriving ? 'error' : 'hint'} data-testid="delivery">
        {delivery === 'blocked' && lastCode?.reason === 'countryNotAllowed'
          ? m.t('delivery.status.blocked.countryNotAllowed')
          : delivery
            ? m.t(`delivery.status.${delivery}`)
            : ''}
      </p>
      <div class="resend">
        <button
          type="button"
          class="link"
          disabled={wait > 0 || sending}
          onClick={() => resend()}
          data-testid="resend"
        >
          {wait > 0 ? m.t('resendIn', { seconds: wait }) : needsNewCode ? m.t('newCode') : m.t('resend')}
        </button>
        {canCall && (notArriving || needsNewCode) && (
          <button type="button" class="link" disabled={wait > 0 || sending} onClick={() => resend('voice')}>
            {m.t('callInstead')}
          </button>
        )}
      </div>
      <div class="actions">
        <button type="button" onClick={props.onCancel}>
          {m.t('cancel')}
        </button>
        <button type="submit" class="primary" disabled={sending || needsNewCode}>
          {m.t('next')}
        </button>
      </div>
    </form>
  );
}
