// docs/webhooks.md lists every event type of config/webhooks.ts, each with its own words, and no other.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { WEBHOOK_EVENT_TYPES } from '../../config/webhooks.ts';
import { ROOT } from '../helpers/processes.ts';

describe('docs/webhooks.md', () => {
  const text = readFileSync(join(ROOT, 'docs', 'webhooks.md'), 'utf8');
  it('lists every event type with when it is sent, and no other', () => {
    for (const { type, when } of WEBHOOK_EVENT_TYPES) expect(text).to.include(`| \`${type}\` | ${when} |`);
    const rows = [...text.matchAll(/^\| `([a-z_]+\.[a-z_]+)` \|/gm)].map((m) => m[1]);
    expect(rows).to.deep.equal(WEBHOOK_EVENT_TYPES.map((e) => e.type));
  });
  it('documents every delivery setting', () => {
    for (const variable of ['LATCHKEY_WEBHOOK_RETRY_SCHEDULE', 'LATCHKEY_WEBHOOK_DISABLE_AFTER']) expect(text).to.include(variable);
    const operations = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
    for (const variable of ['LATCHKEY_WEBHOOK_POLL', 'LATCHKEY_WEBHOOK_RETRY_SCHEDULE', 'LATCHKEY_WEBHOOK_DISABLE_AFTER', 'LATCHKEY_WEBHOOK_TIMEOUT', 'LATCHKEY_WEBHOOK_LEASE']) {
      expect(operations).to.include(`\`${variable}\``);
    }
  });
});
