/**
 * Every string of the page, in one catalogue: English and French. The language is the first of the browser's
 * languages the catalogue has; numbers, dates and region names are formatted by `Intl` for it.
 */
const en = {
  appName: 'My Account',
  signInTitle: 'Sign in',
  signInIntro: 'Development sign-in: any user name signs in as that person (off in production).',
  userName: 'User name',
  signIn: 'Sign in',
  signInWithProvider: 'Sign in with your organisation',
  noSignIn: 'Signing in here is not set up: ask your administrator (OIDC_ISSUER).',
  signingIn: 'Signing you in…',
  signOut: 'Sign out',
  signedInAs: 'Signed in as {user}',
  stepUpTitle: 'Sign in again',
  stepUpIntro: 'To make this change, sign in again.',
  title: 'Security info',
  intro: 'These are the methods you use to sign into your account or reset your password.',
  defaultMethod: 'Default sign-in method:',
  noDefault: 'none yet',
  change: 'Change',
  addMethod: 'Add method',
  noMethods: 'You have no sign-in methods yet. Add one.',
  erased: 'Your personal data was erased on {date}. Methods you had before are gone.',
  erasedAddMethod:
    'Your personal data was erased on {date}. Methods you had before are gone; add a sign-in method to continue.',
  delete: 'Delete',
  deleteLabel: 'Delete {method}',
  enterCode: 'Enter code',
  enterCodeLabel: 'Enter the code for {method}',
  pending: 'Waiting for its code',
  notAllowedByPolicy: 'Not allowed by your organisation',
  added: 'Added {date}',
  lastUsed: 'Last used {date}',
  'phoneType.mobile': 'Phone',
  'phoneType.alternateMobile': 'Alternate phone',
  'phoneType.office': 'Office phone',
  'choice.sms': '{type} - text {number}',
  'choice.voice': '{type} - call {number}',
  addTitle: 'Add a method',
  whichMethod: 'Which method would you like to add?',
  chooseMethod: 'Choose a method',
  noMethodAllowed: 'Your organisation does not allow adding a method now.',
  add: 'Add',
  cancel: 'Cancel',
  close: 'Close',
  back: 'Back',
  next: 'Next',
  done: 'Done',
  confirm: 'Confirm',
  yes: 'Yes',
  no: 'No',
  phoneIntro: 'You can prove who you are by answering a call on your phone or texting a code to your phone.',
  phoneQuestion: 'What phone number would you like to use?',
  country: 'Country or region',
  phoneNumber: 'Phone number',
  extension: 'Extension',
  deliveryQuestion: 'How should we reach you?',
  'delivery.sms': 'Text me a code',
  'delivery.voice': 'Call me',
  ratesApply: 'Message and data rates may apply.',
  codeTitle: 'Enter the code',
  'codeSent.sms': 'We just sent a 6 digit code to {destination}. Enter the code below.',
  'codeSent.voice': 'We are calling {destination} with a 6 digit code. Enter the code below.',
  code: 'Code',
  resend: 'Resend code',
  resendIn: 'Resend code in {seconds} s',
  newCode: 'Send a new code',
  callInstead: 'Call me instead',
  codeResent: 'A new code is on its way.',
  attemptsLeft:
    '{count, plural, one {That code is not right. # attempt left.} other {That code is not right. # attempts left.}}',
  codeLocked: 'Too many wrong codes: this code is locked. Ask for a new one.',
  codeExpired: 'This code has expired. Ask for a new one.',
  'delivery.status.queued': 'Sending your code…',
  'delivery.status.sent': 'Your code was sent.',
  'delivery.status.delivered': 'Your code was delivered.',
  'delivery.status.undeliverable': 'We could not deliver the code to this phone.',
  'delivery.status.blocked': 'We could not send the code: too many codes went to this number for now.',
  'delivery.status.blocked.countryNotAllowed':
    'We could not send the code: we do not send codes to this country or region.',
  'delivery.status.failed': 'We could not send the code: the message service refused it.',
  'delivery.status.skipped': 'This code was not sent.',
  successTitle: 'Phone',
  success: 'Verification complete. Your phone was registered successfully.',
  deleteTitle: 'Delete method',
  deleteQuestion: 'Are you sure you would like to delete {method} ({number}) as a method for your account?',
  noUndo: 'You cannot undo this: to use it again you will have to add it again.',
  deleted: '{method} was deleted.',
  changeTitle: 'Change default method',
  changeQuestion: 'Which method would you like to use to sign in?',
  defaultChanged: 'Your default sign-in method is now {label}.',
  noChoices: 'Add and verify a phone first.',
  loading: 'Loading…',
  staleRead: 'Your change is saved; the list may take a moment to show it.',
  saved: 'You signed in again and your change was saved.',
  changedElsewhere: 'Your security info changed in another window. Here it is now; try again.',
  error: 'Something went wrong ({code}). Try again.',
  signedOut: 'Your sign-in expired. Sign in again.',
  language: 'Language',
  'problem.invalid-phone-number': 'This is not a phone number we can use. Check the number and the country.',
  'problem.number-cannot-receive-sms': 'This number cannot receive text messages. Choose Call me.',
  'problem.number-not-allowed': 'We cannot call or text this kind of number. Use another phone.',
  'problem.phone-type-taken': 'You already have this kind of phone. Delete it first to add another.',
  'problem.mobile-required': 'Add your phone before an alternate phone.',
  'problem.delivery-method-not-allowed': 'This phone cannot be reached that way.',
  'problem.extension-not-allowed': 'Only an office phone has an extension.',
  'problem.validation-failed': 'This is not valid.',
  'problem.resend-cooldown': 'Wait a moment before asking for another code.',
  'problem.code-limit-reached': 'Too many codes for now. Try again later.',
  'problem.rate-limited': 'Too many requests. Wait a moment and try again.',
  'problem.method-not-found': 'This method is no longer on your account.',
  'problem.method-not-allowed-by-policy': 'Your organisation does not allow this method.',
  'problem.step-up-required': 'This change needs a more recent or stronger sign-in. Sign in again and retry.',
};

export type MessageKey = keyof typeof en;

const fr: Record<MessageKey, string> = {
  appName: 'Mon compte',
  signInTitle: 'Connexion',
  signInIntro:
    'Connexion de développement : tout nom d’utilisateur connecte en tant que cette personne (désactivée en production).',
  userName: 'Nom d’utilisateur',
  signIn: 'Se connecter',
  signInWithProvider: 'Se connecter avec votre organisation',
  noSignIn: 'La connexion n’est pas configurée ici : adressez-vous à votre administrateur (OIDC_ISSUER).',
  signingIn: 'Connexion en cours…',
  signOut: 'Se déconnecter',
  signedInAs: 'Connecté en tant que {user}',
  stepUpTitle: 'Reconnectez-vous',
  stepUpIntro: 'Pour faire cette modification, reconnectez-vous.',
  title: 'Informations de sécurité',
  intro:
    'Voici les méthodes que vous utilisez pour vous connecter à votre compte ou réinitialiser votre mot de passe.',
  defaultMethod: 'Méthode de connexion par défaut :',
  noDefault: 'aucune pour l’instant',
  change: 'Modifier',
  addMethod: 'Ajouter une méthode',
  noMethods: 'Vous n’avez encore aucune méthode de connexion. Ajoutez-en une.',
  erased:
    'Vos données personnelles ont été effacées le {date}. Les méthodes que vous aviez auparavant ont disparu.',
  erasedAddMethod:
    'Vos données personnelles ont été effacées le {date}. Les méthodes que vous aviez auparavant ont disparu ; ajoutez une méthode de connexion pour continuer.',
  delete: 'Supprimer',
  deleteLabel: 'Supprimer {method}',
  enterCode: 'Entrer le code',
  enterCodeLabel: 'Entrer le code pour {method}',
  pending: 'En attente de son code',
  notAllowedByPolicy: 'Non autorisé par votre organisation',
  added: 'Ajouté le {date}',
  lastUsed: 'Utilisé le {date}',
  'phoneType.mobile': 'Téléphone',
  'phoneType.alternateMobile': 'Autre téléphone',
  'phoneType.office': 'Téléphone de bureau',
  'choice.sms': '{type} - SMS {number}',
  'choice.voice': '{type} - appel {number}',
  addTitle: 'Ajouter une méthode',
  whichMethod: 'Quelle méthode voulez-vous ajouter ?',
  chooseMethod: 'Choisissez une méthode',
  noMethodAllowed: 'Votre organisation ne permet pas d’ajouter une méthode pour l’instant.',
  add: 'Ajouter',
  cancel: 'Annuler',
  close: 'Fermer',
  back: 'Retour',
  next: 'Suivant',
  done: 'Terminé',
  confirm: 'Confirmer',
  yes: 'Oui',
  no: 'Non',
  phoneIntro:
    'Vous pouvez prouver votre identité en répondant à un appel sur votre téléphone ou en recevant un code par SMS.',
  phoneQuestion: 'Quel numéro de téléphone voulez-vous utiliser ?',
  country: 'Pays ou région',
  phoneNumber: 'Numéro de téléphone',
  extension: 'Poste',
  deliveryQuestion: 'Comment devons-nous vous joindre ?',
  'delivery.sms': 'M’envoyer un code par SMS',
  'delivery.voice': 'M’appeler',
  ratesApply: 'Des frais de messagerie et de données peuvent s’appliquer.',
  codeTitle: 'Entrez le code',
  'codeSent.sms': 'Nous venons d’envoyer un code à 6 chiffres au {destination}. Entrez-le ci-dessous.',
  'codeSent.voice': 'Nous appelons le {destination} avec un code à 6 chiffres. Entrez-le ci-dessous.',
  code: 'Code',
  resend: 'Renvoyer le code',
  resendIn: 'Renvoyer le code dans {seconds} s',
  newCode: 'Envoyer un nouveau code',
  callInstead: 'M’appeler plutôt',
  codeResent: 'Un nouveau code est en route.',
  attemptsLeft:
    '{count, plural, one {Ce code est incorrect. Il reste # essai.} other {Ce code est incorrect. Il reste # essais.}}',
  codeLocked: 'Trop de codes erronés : ce code est bloqué. Demandez-en un nouveau.',
  codeExpired: 'Ce code a expiré. Demandez-en un nouveau.',
  'delivery.status.queued': 'Envoi de votre code…',
  'delivery.status.sent': 'Votre code a été envoyé.',
  'delivery.status.delivered': 'Votre code a été remis.',
  'delivery.status.undeliverable': 'Le code n’a pas pu être remis à ce téléphone.',
  'delivery.status.blocked':
    'Le code n’a pas été envoyé : trop de codes sont partis vers ce numéro pour l’instant.',
  'delivery.status.blocked.countryNotAllowed':
    'Le code n’a pas été envoyé : nous n’envoyons pas de codes vers ce pays ou cette région.',
  'delivery.status.failed': 'Le code n’a pas été envoyé : le service de messagerie l’a refusé.',
  'delivery.status.skipped': 'Ce code n’a pas été envoyé.',
  successTitle: 'Téléphone',
  success: 'Vérification terminée. Votre téléphone a bien été enregistré.',
  deleteTitle: 'Supprimer la méthode',
  deleteQuestion: 'Voulez-vous vraiment supprimer {method} ({number}) des méthodes de votre compte ?',
  noUndo: 'Impossible d’annuler : pour l’utiliser de nouveau, il faudra l’ajouter de nouveau.',
  deleted: '{method} a été supprimé.',
  changeTitle: 'Modifier la méthode par défaut',
  changeQuestion: 'Quelle méthode voulez-vous utiliser pour vous connecter ?',
  defaultChanged: 'Votre méthode de connexion par défaut est désormais {label}.',
  noChoices: 'Ajoutez et vérifiez d’abord un téléphone.',
  loading: 'Chargement…',
  staleRead: 'Votre modification est enregistrée ; la liste peut mettre un instant à l’afficher.',
  saved: 'Vous vous êtes reconnecté et votre modification est enregistrée.',
  changedElsewhere:
    'Vos informations de sécurité ont changé dans une autre fenêtre. Les voici à jour ; réessayez.',
  error: 'Une erreur est survenue ({code}). Réessayez.',
  signedOut: 'Votre connexion a expiré. Reconnectez-vous.',
  language: 'Langue',
  'problem.invalid-phone-number':
    'Ce numéro de téléphone n’est pas utilisable. Vérifiez le numéro et le pays.',
  'problem.number-cannot-receive-sms': 'Ce numéro ne peut pas recevoir de SMS. Choisissez M’appeler.',
  'problem.number-not-allowed':
    'Nous ne pouvons ni appeler ni écrire à ce type de numéro. Utilisez un autre téléphone.',
  'problem.phone-type-taken':
    'Vous avez déjà ce type de téléphone. Supprimez-le d’abord pour en ajouter un autre.',
  'problem.mobile-required': 'Ajoutez votre téléphone avant un autre téléphone.',
  'problem.delivery-method-not-allowed': 'Ce téléphone ne peut pas être joint de cette façon.',
  'problem.extension-not-allowed': 'Seul un téléphone de bureau a un poste.',
  'problem.validation-failed': 'Cette valeur n’est pas valide.',
  'problem.resend-cooldown': 'Patientez un instant avant de demander un autre code.',
  'problem.code-limit-reached': 'Trop de codes pour l’instant. Réessayez plus tard.',
  'problem.rate-limited': 'Trop de demandes. Patientez un instant et réessayez.',
  'problem.method-not-found': 'Cette méthode n’est plus sur votre compte.',
  'problem.method-not-allowed-by-policy': 'Votre organisation n’autorise pas cette méthode.',
  'problem.step-up-required':
    'Cette modification demande une connexion plus récente ou plus forte. Reconnectez-vous et réessayez.',
};

const CATALOGUE = { en, fr } as const;
export type Language = keyof typeof CATALOGUE;
export const LANGUAGES = Object.keys(CATALOGUE) as Language[];

/** The first of the browser's languages the catalogue has (by its primary subtag); English otherwise. */
export function chooseLanguage(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const primary = tag.toLowerCase().split('-')[0];
    if ((LANGUAGES as string[]).includes(primary)) return primary as Language;
  }
  return 'en';
}

export interface Messages {
  language: Language;
  t(key: MessageKey, values?: Record<string, string | number>): string;
  /** A refusal in the person's language, by its problem code; an unknown code is named in a general sentence. */
  problem(code: string): string;
  number(value: number): string;
  date(iso: string): string;
  region(code: string): string;
}

/** Messages for one language: `{name}` placeholders, and `{count, plural, one {…} other {…}}` by Intl.PluralRules. */
export function messagesFor(language: Language): Messages {
  const numbers = new Intl.NumberFormat(language);
  const dates = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' });
  const plurals = new Intl.PluralRules(language);
  const regions = new Intl.DisplayNames([language], { type: 'region' });
  const format = (value: string | number) => (typeof value === 'number' ? numbers.format(value) : value);
  const t = (key: MessageKey, values: Record<string, string | number> = {}): string => {
    return CATALOGUE[language][key]
      .replace(/\{(\w+), plural, ((?:\w+ \{[^}]*\}\s*)+)\}/g, (_, name: string, forms: string) => {
        const count = Number(values[name]);
        const options = Object.fromEntries(
          [...forms.matchAll(/(\w+) \{([^}]*)\}/g)].map((form) => [form[1], form[2]]),
        );
        return (options[plurals.select(count)] ?? options.other).replace('#', numbers.format(count));
      })
      .replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? format(values[name]) : whole));
  };
  return {
    language,
    t,
    problem(code) {
      const key = `problem.${code}`;
      return key in CATALOGUE[language] ? t(key as MessageKey) : t('error', { code });
    },
    number: (value) => numbers.format(value),
    date: (iso) => dates.format(new Date(iso)),
    region: (code) => regions.of(code) ?? code,
  };
}
