// What an attempt's result means for its delivery: delivered, due again after the schedule's next
// wait, or failed for good once the schedule is spent.
import type { AttemptOutcome, WebhookDelivery } from '../../adapters/contract.ts';

export interface SendResult {
  readonly ok: boolean;
  readonly statusCode: number | undefined;
  /** Our words, when it failed. */
  readonly error: string | undefined;
  /** The start of the receiver's answer, printable characters only. */
  readonly response?: string | undefined;
}

export function outcomeOf(delivery: WebhookDelivery, result: SendResult, schedule: readonly number[], at: Date): AttemptOutcome {
  const answer = { at, statusCode: result.statusCode, response: result.response };
  if (result.ok) return { ...answer, error: undefined, status: 'delivered' };
  // delivery.attempts counts the attempts before this one: after attempt n, wait schedule[n - 1].
  const wait = schedule[delivery.attempts];
  if (wait === undefined) return { ...answer, error: result.error, status: 'failed' };
  return { ...answer, error: result.error, status: 'pending', nextAttemptAt: new Date(at.getTime() + wait) };
}
