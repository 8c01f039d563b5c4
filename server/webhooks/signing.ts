// A delivery as Standard Webhooks has it: the body names the event's type, time and ids; the headers
// carry the delivery id (the same on every attempt), the attempt's time and the signature
// v1,<base64 HMAC-SHA256 of "id.timestamp.body">, made by the maintained `standardwebhooks` package.
import { Webhook } from 'standardwebhooks';
import type { OutboxEvent } from '../../adapters/contract.ts';

export function deliveryBody(event: OutboxEvent): string {
  return JSON.stringify({ type: event.type, timestamp: event.createdAt.toISOString(), data: event.data });
}

export function signedHeaders(secret: string, deliveryId: string, at: Date, body: string): Record<string, string> {
  return {
    'webhook-id': deliveryId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(deliveryId, at, body),
  };
}
