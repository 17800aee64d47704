import type { Command, CommandResult, DeliveryMethod, PageMethod, PhoneType, SecurityInfoPage } from './api';
import type { Messages } from './i18n';

/** What every part of the page is given: the messages, the page as last read, and the way to act on it. */
export interface Ui {
  m: Messages;
  page: SecurityInfoPage;
  /** Sends a command (step-up, If-Match, Idempotency-Key), then reads the page at the position it answered. */
  run<C extends Command>(command: C): Promise<CommandResult<C['kind']>>;
  /** Reads the page again (e.g. to follow a code's delivery). */
  refresh(): Promise<void>;
  /** Says something to everyone, screen readers included (the page's aria-live region). */
  announce(text: string): void;
}

export const methodName = (m: Messages, phoneType: PhoneType) => m.t(`phoneType.${phoneType}`);

/** "Phone - text +1 4255550100": a method and a way of reaching it, as the default shows it. */
export const choiceLabel = (m: Messages, method: PageMethod, deliveryMethod: DeliveryMethod) =>
  m.t(`choice.${deliveryMethod}`, { type: methodName(m, method.phoneType), number: method.phoneNumber });
