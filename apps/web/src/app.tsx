import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  developmentSignIn,
  readPage,
  sendCommand,
  type Command,
  type CommandResult,
  type SecurityInfoPage,
} from './api';
import type { SentCode } from './add-method';
import { AddMethod } from './add-method';
import { Dialog } from './dialog';
import { Alert } from './one-at-a-time';
import { chooseLanguage, messagesFor, type Messages } from './i18n';
import { SecurityInfo } from './security-info';
import { finishOidcSignIn, signInMode, startOidcSignIn, type Session } from './session';
import { withStepUp, type StepUpChallenge } from './step-up';
import type { Ui } from './ui';

/** A development re-sign-in the page waits for (step-up with the development form). */
interface PendingStepUp {
  challenge: StepUpChallenge;
  /** With the fresh token, or null when the person cancels. */
  resolve: (token: string | null) => void;
}

export function App() {
  const m = useMemo(() => messagesFor(chooseLanguage(navigator.languages ?? [navigator.language])), []);
  const mode = useMemo(signInMode, []);
  const [session, setSession] = useState<Session | null>(null);
  const [page, setPage] = useState<SecurityInfoPage | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [stepUp, setStepUp] = useState<PendingStepUp | null>(null);
  const [resume, setResume] = useState<SentCode | null>(null);
  const [returning, setReturning] = useState(mode.kind === 'oidc');
  // The token and revision every command reads at the moment it is sent (not as of the last render).
  const current = useRef<{ token: string | null; revision: string | null }>({ token: null, revision: null });
  // One Idempotency-Key per command while it is unanswered: a second click or a retry sends the same key.
  const keys = useRef(new Map<string, string>());

  useEffect(() => {
    document.documentElement.lang = m.language;
    document.title = m.t('title');
  }, [m]);

  const announce = (text: string) => {
    // Emptied first, so the same sentence twice is announced twice.
    setAnnouncement('');
    setTimeout(() => setAnnouncement(text), 50);
  };

  const signOut = (why?: string) => {
    current.current = { token: null, revision: null };
    setSession(null);
    setPage(null);
    if (why) announce(why);
  };

  const load = async (token: string, minPosition?: string) => {
    const read = await readPage(token, minPosition);
    if ('problem' in read) {
      if (read.response.status === 401) signOut(m.t('signedOut'));
      else announce(m.t('error', { code: read.problem.code }));
      return;
    }
    if (read.stale) announce(m.t('staleRead'));
    else current.current.revision = read.page.revision;
    setPage(read.page);
  };

  const begin = async (next: Session) => {
    current.current = { token: next.token, revision: null };
    setSession(next);
    await load(next.token);
  };

  /** The person signs in again as the challenge asks; resolves with the fresh token. */
  const reauthenticate = (challenge: StepUpChallenge, command: Command): Promise<string | null> => {
    if (mode.kind === 'oidc') return startOidcSignIn(mode, { challenge, command });
    return new Promise((resolve) => setStepUp({ challenge, resolve }));
  };

  const run = async <C extends Command>(command: C): Promise<CommandResult<C['kind']>> => {
    const id = JSON.stringify(command);
    const key = keys.current.get(id) ?? crypto.randomUUID();
    keys.current.set(id, key);
    let attempts = 0;
    let result: CommandResult<C['kind']>;
    try {
      result = await withStepUp(
        // The first attempt recorded nothing: the retry after step-up is a request of its own.
        (token) =>
          sendCommand(command, token, current.current.revision, attempts++ === 0 ? key : crypto.randomUUID()),
        current.current.token!,
        async (challenge) => {
          const token = await reauthenticate(challenge, command);
          if (token !== null) current.current.token = token;
          return token;
        },
      );
    } finally {
      keys.current.delete(id);
    }
    return settle(result);
  };

  /** What every command's answer leads to: the page at its position, or what a refusal means for the page. */
  const settle = async <K extends Command['kind']>(result: CommandResult<K>): Promise<CommandResult<K>> => {
    const token = current.current.token!;
    // A refusal that was recorded (a wrong code) moved the revision too: its ETag says where to.
    const etag = /^"(\d+)"$/.exec(result.response.headers.get('ETag') ?? '');
    if (etag) current.current.revision = etag[1];
    if (result.ok) {
      current.current.revision = result.data.revision;
      await load(token, result.data.position ?? undefined);
    } else if (result.problem.code === 'precondition-failed') {
      await load(token);
      announce(m.t('changedElsewhere'));
    } else if (result.response.status === 401 && result.problem.code === 'unauthorized') {
      signOut(m.t('signedOut'));
    }
    return result;
  };

  // Back from the OpenID provider: finish signing in, then send once the command step-up interrupted.
  useEffect(() => {
    if (mode.kind !== 'oidc') return;
    void (async () => {
      try {
        const back = await finishOidcSignIn(mode);
        if (!back) return;
        await begin(back.session);
        if (back.command) {
          const command = back.command;
          const result = await settle(
            await sendCommand(command, back.session.token, current.current.revision, crypto.randomUUID()),
          );
          if (result.ok && command.kind === 'addPhone' && 'code' in result.data) {
            const added = result.data as {
              methodId: string;
              code: { channel: 'sms' | 'voice'; destination: string };
            };
            setResume({ methodId: added.methodId, phoneType: command.body.phoneType, ...added.code });
          } else if (result.ok) {
            announce(m.t('saved'));
          } else {
            announce(m.problem(result.problem.code));
          }
        }
      } catch (error) {
        announce(m.t('error', { code: (error as Error).message }));
      } finally {
        setReturning(false);
      }
    })();
  }, []);

  const ui: Ui | null =
    page && session ? { m, page, run, refresh: () => load(session.token), announce } : null;

  return (
    <>
      <header>
        <span class="brand">{m.t('appName')}</span>
        {session && (
          <span class="who">
            <span>{m.t('signedInAs', { user: session.userName })}</span>
            <button type="button" class="link" onClick={() => signOut()}>
              {m.t('signOut')}
            </button>
          </span>
        )}
      </header>
      <main>
        {!session &&
          (returning ? <p>{m.t('signingIn')}</p> : <SignIn m={m} onSignedIn={(s) => void begin(s)} />)}
        {session && !ui && <p>{m.t('loading')}</p>}
        {ui && <SecurityInfo ui={ui} />}
        {ui && resume && <AddMethod ui={ui} resume={resume} onClose={() => setResume(null)} />}
        {stepUp && session && (
          <StepUpDialog
            m={m}
            userName={session.userName}
            onSignedIn={(token) => {
              setStepUp(null);
              stepUp.resolve(token);
            }}
            onCancel={() => {
              // Not signing in again: the refusal stands (nothing is sent again) and is shown.
              setStepUp(null);
              stepUp.resolve(null);
            }}
          />
        )}
        <div class="announcer" role="status" aria-live="polite" data-testid="announcer">
          {announcement}
        </div>
      </main>
    </>
  );
}

/** Signing in: the OpenID provider (production) or the development form (embedded default). */
function SignIn(props: { m: Messages; onSignedIn: (session: Session) => void }) {
  const { m } = props;
  const mode = signInMode();
  if (mode.kind === 'oidc') {
    return (
      <section aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">{m.t('signInTitle')}</h1>
        <button type="button" class="primary" onClick={() => void startOidcSignIn(mode)}>
          {m.t('signInWithProvider')}
        </button>
      </section>
    );
  }
  if (mode.kind === 'none') {
    return (
      <section aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">{m.t('signInTitle')}</h1>
        <p>{m.t('noSignIn')}</p>
      </section>
    );
  }
  return <DevelopmentSignIn m={m} onSignedIn={props.onSignedIn} />;
}

/** The development sign-in form (embedded default): a user name mints a token signed with JWT_SECRET. */
function DevelopmentSignIn(props: {
  m: Messages;
  userName?: string;
  onSignedIn: (session: Session) => void;
}) {
  const { m } = props;
  const [userName, setUserName] = useState(props.userName ?? '');
  const [error, setError] = useState('');
  const submit = async (event: Event) => {
    event.preventDefault();
    const answer = await developmentSignIn(userName.trim());
    if (typeof answer === 'string') return props.onSignedIn({ userName: userName.trim(), token: answer });
    setError(m.problem(answer.code));
  };
  return (
    <form onSubmit={(event) => void submit(event)} aria-labelledby="sign-in-title" noValidate>
      <h1 id="sign-in-title">{m.t('signInTitle')}</h1>
      <p>{m.t('signInIntro')}</p>
      <div class="field">
        <label for="user-name">{m.t('userName')}</label>
        <input
          id="user-name"
          autoComplete="username"
          value={userName}
          onInput={(e) => setUserName(e.currentTarget.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby="user-name-error"
        />
        <Alert id="user-name-error" text={error} />
      </div>
      <button type="submit" class="primary">
        {m.t('signIn')}
      </button>
    </form>
  );
}

/** Step-up with the development form: the same person signs in again, minting a token with auth_time now. */
function StepUpDialog(props: {
  m: Messages;
  userName: string;
  onSignedIn: (token: string) => void;
  onCancel: () => void;
}) {
  const { m } = props;
  const [error, setError] = useState('');
  const again = async () => {
    const answer = await developmentSignIn(props.userName);
    if (typeof answer === 'string') return props.onSignedIn(answer);
    setError(m.problem(answer.code));
  };
  return (
    <Dialog title={m.t('stepUpTitle')} onClose={props.onCancel}>
      <p>{m.t('stepUpIntro')}</p>
      <p>{m.t('signedInAs', { user: props.userName })}</p>
      <Alert text={error} />
      <div class="actions">
        <button type="button" onClick={props.onCancel}>
          {m.t('cancel')}
        </button>
        <button type="button" class="primary" onClick={() => void again()}>
          {m.t('signIn')}
        </button>
      </div>
    </Dialog>
  );
}
