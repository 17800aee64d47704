import { chooseLanguage, messagesFor } from './i18n';

describe('the page in the person’s language', () => {
  it('takes the first of the browser’s languages it has, by primary subtag; English otherwise', () => {
    expect(chooseLanguage(['de-DE', 'fr-CA', 'en'])).toBe('fr');
    expect(chooseLanguage(['en-GB', 'fr'])).toBe('en');
    expect(chooseLanguage(['ja', 'de'])).toBe('en');
    expect(chooseLanguage([])).toBe('en');
  });

  it('fills placeholders, formats numbers for the locale and picks the plural form', () => {
    const en = messagesFor('en');
    const fr = messagesFor('fr');
    expect(en.t('attemptsLeft', { count: 1 })).toBe('That code is not right. 1 attempt left.');
    expect(en.t('attemptsLeft', { count: 4 })).toBe('That code is not right. 4 attempts left.');
    expect(fr.t('attemptsLeft', { count: 1 })).toBe('Ce code est incorrect. Il reste 1 essai.');
    expect(fr.t('attemptsLeft', { count: 0 })).toBe('Ce code est incorrect. Il reste 0 essai.');
    expect(en.t('resendIn', { seconds: 1200 })).toBe('Resend code in 1,200 s');
    expect(fr.t('resendIn', { seconds: 1200 })).toMatch(/^Renvoyer le code dans 1\s200 s$/);
    expect(fr.t('choice.sms', { type: fr.t('phoneType.mobile'), number: '+1 4255550100' })).toBe(
      'Téléphone - SMS +1 4255550100',
    );
  });

  it('says a known refusal in the language, and names an unknown one', () => {
    expect(messagesFor('fr').problem('number-cannot-receive-sms')).toBe(
      'Ce numéro ne peut pas recevoir de SMS. Choisissez M’appeler.',
    );
    expect(messagesFor('en').problem('something-new')).toBe(
      'Something went wrong (something-new). Try again.',
    );
  });

  it('names regions and dates for the locale', () => {
    expect(messagesFor('fr').region('DE')).toBe('Allemagne');
    expect(messagesFor('en').date('2026-11-30T10:05:00Z')).toMatch(/Nov 30, 2026/);
  });
});
